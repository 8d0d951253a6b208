"""Who may do what with bookings in the admin: Django model permissions, granted to the
agents' and editors' groups by ``grant_booking_permissions``: the demo loader calls it,
and after every ``migrate`` (production's deployments too) the groups that exist get
them, like attendance's (``grant_after_migrate``).

Editors (the communication team) set up a service's calendar and see its month grid;
agents also close days, add extra ones, read headcounts, book at the counter and check
sick-child certificates. Every view checks again: menus hide, views refuse.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied

from family_portal.backoffice.permissions import VIEW_FAMILY, is_family_agent
from home.demo import AGENTS_GROUP, EDITORS_GROUP

AGENT_PERMISSIONS = [
    ("serviceschedule", ("view", "add", "change")),
    ("calendarchange", ("view", "add", "change")),
    ("booking", ("view", "add", "change")),
    ("absencereport", ("view", "change")),
]
EDITOR_PERMISSIONS = [
    ("serviceschedule", ("view", "add", "change")),
    ("calendarchange", ("view",)),
]

VIEW_SCHEDULE = "bookings.view_serviceschedule"
CHANGE_CALENDAR = "bookings.add_calendarchange"
VIEW_BOOKINGS = "bookings.view_booking"
BOOK_FOR_FAMILY = "bookings.add_booking"
CHECK_CERTIFICATE = "bookings.change_absencereport"


def _permissions(pairs):
    return [
        Permission.objects.get(
            content_type__app_label="bookings", codename=f"{action}_{model}"
        )
        for model, actions in pairs
        for action in actions
    ]


def grant_booking_permissions(
    groups: dict[str, Group] | None = None, *, create: bool = True
) -> None:
    """Give the agents' and editors' groups their bookings permissions; idempotent.
    A missing group is created, or with ``create=False`` left alone."""
    groups = groups or {}
    for name, pairs in (
        (AGENTS_GROUP, AGENT_PERMISSIONS),
        (EDITORS_GROUP, EDITOR_PERMISSIONS),
    ):
        group = groups.get(name) or (
            Group.objects.get_or_create(name=name)[0]
            if create
            else Group.objects.filter(name=name).first()
        )
        if group is not None:
            group.permissions.add(*_permissions(pairs))


def grant_after_migrate(sender, using="default", **kwargs):
    """After ``migrate``: the agents' and editors' groups an administrator made (or an
    earlier deployment) get the bookings permissions, so that production needs no
    ticking of boxes; groups are not created here."""
    from django.contrib.auth.management import create_permissions

    create_permissions(sender, verbosity=0, using=using)
    grant_booking_permissions(create=False)


def staff_required(*perms, agent=True):
    """Refuse (403) a user without every permission; with ``agent``, the user must also
    be a family-service agent (families' data). Wagtail's admin URLs send anonymous
    users to the sign-in page before this runs."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not (user.is_active and user.has_perms(perms)):
                raise PermissionDenied
            if agent and not is_family_agent(user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


__all__ = [
    "BOOK_FOR_FAMILY",
    "CHANGE_CALENDAR",
    "CHECK_CERTIFICATE",
    "VIEW_BOOKINGS",
    "VIEW_FAMILY",
    "VIEW_SCHEDULE",
    "grant_booking_permissions",
    "staff_required",
]
