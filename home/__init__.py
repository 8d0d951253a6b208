"""Shared base of the site: home and content pages, blocks, the commune's settings, menu."""
