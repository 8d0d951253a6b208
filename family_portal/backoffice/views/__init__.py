"""The back-office's own admin views: work queues and audited actions, one module per
screen family. Each view checks its model permissions (permissions.require_perms) on top
of Wagtail's admin access; backoffice/urls.py routes them, wagtail_hooks registers them."""

from .campaigns import (
    campaign_detail,
    campaign_list,
    campaign_resume,
    campaign_status,
)
from .children import child_photo
from .counter_desk import counter_enrol, counter_search
from .enrolments import (
    enrolment_cancel,
    enrolment_override,
    enrolment_promote,
    enrolment_reprice,
)
from .periods import period_capacity, period_detail, period_list, period_reprice
from .quotients import (
    document_check,
    document_file,
    family_refresh,
    qf_pending_queue,
    quotient_add,
)

__all__ = [
    "campaign_detail",
    "campaign_list",
    "campaign_resume",
    "campaign_status",
    "period_capacity",
    "child_photo",
    "counter_enrol",
    "counter_search",
    "document_check",
    "document_file",
    "enrolment_cancel",
    "enrolment_override",
    "enrolment_promote",
    "enrolment_reprice",
    "family_refresh",
    "period_detail",
    "period_list",
    "period_reprice",
    "qf_pending_queue",
    "quotient_add",
]
