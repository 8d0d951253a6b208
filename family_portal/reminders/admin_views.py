"""The overdue invoices' screen (/admin/relances/), for agents who may see invoices."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from family_portal.backoffice.permissions import require_perms

from . import overdue_screen

VIEW_INVOICE = "billing.view_invoice"
PAGE_SIZE = 100


def _filters(request):
    form = overdue_screen.OverdueFilter(request.GET or None)
    return form, (form.cleaned_data if form.is_valid() else {})


@never_cache
@require_perms(VIEW_INVOICE)
def overdue_list(request):
    today = timezone.localdate()
    form, filters = _filters(request)
    invoices = overdue_screen.overdue_invoices(today, filters)
    page = Paginator(invoices, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = overdue_screen.rows_for(page.object_list, today)
    query = request.GET.copy()
    query.pop("page", None)
    return TemplateResponse(
        request,
        "reminders/admin/overdue_list.html",
        {
            "page_title": "Factures impayées en retard",
            "page_subtitle": "",
            "header_icon": "warning",
            "form": form,
            "page": page,
            "groups": overdue_screen.grouped(rows),
            "query": query.urlencode(),
            "today": today,
            "first_days": settings.PAYMENT_REMINDER_FIRST_DAYS,
            "second_days": settings.PAYMENT_REMINDER_SECOND_DAYS,
        },
    )


@never_cache
@require_perms(VIEW_INVOICE)
def overdue_export(request):
    today = timezone.localdate()
    _form, filters = _filters(request)
    rows = overdue_screen.rows_for(
        overdue_screen.overdue_invoices(today, filters), today
    )
    response = HttpResponse(
        overdue_screen.to_csv(rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="factures-en-retard-{today.isoformat()}.csv"'
    )
    return response
