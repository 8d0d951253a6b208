"""The family service's back-office in the Wagtail admin: work queues, audited actions,
the yearly QF campaign and the dashboard panel. Screens are registered in
family_portal/wagtail_hooks.py; the behaviour lives here."""
