"""The family service's modeladmin screens, one module per screen family; registered
from family_portal/wagtail_hooks.py."""
