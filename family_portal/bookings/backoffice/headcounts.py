"""Daily headcounts for agents and the kitchen, on screen and as CSV or XLSX."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.views.decorators.cache import never_cache

from activities.models import ActivityPage

from .. import exports
from ..headcounts import headcounts
from ..permissions import VIEW_BOOKINGS, staff_required
from .common import render
from .forms import HeadcountForm

FORMATS = {"csv": exports.csv_response, "xlsx": exports.xlsx_response}


def activity_choices():
    return list(
        ActivityPage.objects.filter(periods__schedule__isnull=False)
        .distinct()
        .order_by("title")
        .values_list("pk", "title")
    )


@never_cache
@staff_required(VIEW_BOOKINGS)
def headcount_view(request):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    # Tomorrow unless asked otherwise: the kitchen's first question.
    data = request.GET if "du" in request.GET else {"du": tomorrow.isoformat()}
    form = HeadcountForm(data, activities=activity_choices())
    result = None
    if form.is_valid():
        first, last = form.dates()
        result = headcounts(first, last, activity_ids=form.cleaned_data["activite"])
        export = FORMATS.get(request.GET.get("format", ""))
        if export is not None:
            return export(result)
    query = request.GET.copy()
    query.pop("format", None)
    return render(
        request,
        "headcounts.html",
        "Effectifs du jour",
        {
            "form": form,
            "result": result,
            "query": query.urlencode() or f"du={tomorrow.isoformat()}",
        },
        icon="list-ul",
        status=200 if form.is_valid() else 400,
    )
