"""The agents' and editors' side of bookings, in the Wagtail admin: the service calendar
as a month grid (closures, extra days), daily headcounts with their exports, a family's
bookings and booking at the counter, and the sick-child certificates to check.

Mounted under /admin/reservations/ by family_portal/bookings/wagtail_hooks.py; every
view checks its permissions (family_portal/bookings/permissions.py)."""
