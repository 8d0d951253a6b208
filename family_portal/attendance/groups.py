"""The "Animateurs" group (check-in on the sites one is assigned to) and the agents'
attendance permissions, made after every migration and by the demo loader."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from home.demo import AGENTS_GROUP

ANIMATEURS_GROUP = "Animateurs"
CHECK_IN = "attendance.check_in"
MANAGE = "attendance.manage_attendance"
REOPEN = "attendance.reopen_month"

AGENT_PERMISSIONS = (
    "check_in",
    "manage_attendance",
    "reopen_month",
    "view_attendancesite",
    "add_attendancesite",
    "change_attendancesite",
    "view_mark",
    "view_tap",
)


def _permissions(codenames):
    return list(
        Permission.objects.filter(
            content_type__app_label="attendance", codename__in=codenames
        )
    )


def ensure_groups() -> Group:
    """The animateurs' group with its one permission; the agents' group, when it
    exists, gets the back-office's. Idempotent."""
    animateurs, _ = Group.objects.get_or_create(name=ANIMATEURS_GROUP)
    animateurs.permissions.add(*_permissions(["check_in"]))
    agents = Group.objects.filter(name=AGENTS_GROUP).first()
    if agents is not None:
        agents.permissions.add(*_permissions(AGENT_PERMISSIONS))
    return animateurs


def ensure_groups_after_migrate(sender, using="default", **kwargs):
    from django.contrib.auth.management import create_permissions

    create_permissions(sender, verbosity=0, using=using)
    ensure_groups()


def can_check_in(user) -> bool:
    return bool(user and user.is_active and user.has_perm(CHECK_IN))


def manages_attendance(user) -> bool:
    return bool(user and user.is_active and user.has_perm(MANAGE))


def can_reopen_month(user) -> bool:
    return manages_attendance(user) and user.has_perm(REOPEN)
