"""Tariff certificates (attestations de tarif): issue, number, render as PDF, verify."""
