"""Invoices per régie and month: billing rules per service, monthly runs, credit notes."""
