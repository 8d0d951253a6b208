"""Who may use the back-office: Django model permissions, granted to the "Agents famille"
group, and checked again by every custom view (menus hide, views refuse)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied

from home.demo import AGENTS_GROUP

# (app label, model, actions): what the family service's agents may do.
AGENT_MODEL_PERMISSIONS = [
    ("family_portal", "family", ("view", "add", "change", "delete")),
    ("family_portal", "guardian", ("view", "add", "change", "delete")),
    ("family_portal", "child", ("view", "add", "change", "delete")),
    ("family_portal", "quotientrecord", ("view", "add")),
    ("family_portal", "qfdocument", ("view", "change")),
    ("family_portal", "enrolment", ("view", "add", "change")),
    ("family_portal", "enrolmentpricechange", ("view",)),
    ("family_portal", "agentaction", ("view",)),
    ("family_portal", "qfrefreshoutcome", ("view",)),
    ("family_portal", "qfcampaign", ("view", "add")),
    ("family_portal", "familyservicesettings", ("change",)),
    ("family_portal", "certificate", ("view", "print")),
    ("qf_connector", "apicalllog", ("view",)),
    ("activities", "bareme", ("view", "add", "change")),
    ("billing", "regie", ("view",)),
    ("billing", "servicerules", ("view", "add", "change")),
    ("billing", "billingrun", ("view", "add")),
    ("billing", "invoice", ("view", "add")),
    ("billing", "adjustment", ("view", "add")),
    ("directdebit", "mandate", ("view",)),
    ("directdebit", "debitbatch", ("view", "export")),
    ("directdebit", "debitreturn", ("view", "add")),
    # Recording money ("payments.record_counter_payment") is granted apart: to the
    # régisseurs' group (see family_portal/payments/demo.py), not to every agent.
    ("payments", "payment", ("view",)),
    ("taxcerts", "taxcertificatejob", ("view", "add")),
]

# The permission that makes a user a family-service agent: it opens the menu group,
# the dashboard panel and the admin search area.
VIEW_FAMILY = "family_portal.view_family"
VIEW_ENROLMENT = "family_portal.view_enrolment"
CHANGE_ENROLMENT = "family_portal.change_enrolment"
ADD_ENROLMENT = "family_portal.add_enrolment"
VIEW_DOCUMENT = "family_portal.view_qfdocument"
CHECK_DOCUMENT = "family_portal.change_qfdocument"
ADD_QUOTIENT = "family_portal.add_quotientrecord"


def agent_permissions():
    """The Permission rows of AGENT_MODEL_PERMISSIONS (wagtailadmin access included)."""
    wanted = [
        (app, f"{action}_{model}")
        for app, model, actions in AGENT_MODEL_PERMISSIONS
        for action in actions
    ]
    wanted.append(("wagtailadmin", "access_admin"))
    permissions = []
    for app, codename in wanted:
        permissions.append(
            Permission.objects.get(content_type__app_label=app, codename=codename)
        )
    return permissions


def grant_agent_permissions(group: Group | None = None) -> Group:
    """Give the agents' group (created if missing) the back-office permissions; idempotent.

    Called by the demo loader; in production an administrator may tick the same boxes
    in Paramètres › Groupes.
    """
    if group is None:
        group, _ = Group.objects.get_or_create(name=AGENTS_GROUP)
    group.permissions.add(*agent_permissions())
    return group


def is_family_agent(user) -> bool:
    return bool(user and user.is_active and user.has_perm(VIEW_FAMILY))


def require_perms(*perms):
    """Refuse (403) a user without every permission; anonymous users never get here,
    Wagtail's admin URLs send them to the sign-in page first."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not (is_family_agent(request.user) and request.user.has_perms(perms)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
