"""The counter (guichet): an agent finds a family and enrols its children."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.cache import never_cache

from activities.models import ActivityPeriod
from activities.pricing import PricingError
from activities.pricing.formatting import format_money
from home import names

from ...models import (
    Family,
)
from .. import counter
from ..forms import (
    CounterForm,
)
from ..links import family_url
from ..permissions import (
    ADD_ENROLMENT,
    VIEW_FAMILY,
    require_perms,
)
from .common import commune_of, render


@never_cache
@require_perms(ADD_ENROLMENT, VIEW_FAMILY)
def counter_search(request):
    # Names are stored normalised (home.names): a decomposed "é" typed finds them too.
    query = names.normalise(request.GET.get("q", ""))
    families = []
    if query:
        families = (
            Family.objects.filter(
                Q(name__icontains=query)
                | Q(guardians__birth_name__icontains=query)
                | Q(guardians__usage_name__icontains=query)
                | Q(children__first_name__icontains=query)
                | Q(children__last_name__icontains=query)
            )
            .distinct()
            .prefetch_related("children", "guardians")
            .order_by("name", "pk")[:30]
        )
    return render(
        request,
        "counter_search.html",
        "Inscription au guichet",
        {"query": query, "families": families},
        icon="user",
    )


@never_cache
@require_perms(ADD_ENROLMENT, VIEW_FAMILY)
def counter_enrol(request, family_pk):
    family = get_object_or_404(Family, pk=family_pk)
    commune = commune_of(request)
    periods = (
        ActivityPeriod.objects.filter(end__gte=timezone.localdate())
        .select_related("activity")
        .order_by("activity__title", "start")
    )
    form = CounterForm(
        request.POST if request.method == "POST" else None,
        family=family,
        periods=periods,
    )
    planned, problem, places_left = None, "", None
    if request.method == "POST" and form.is_valid():
        period = form.cleaned_data["period"]
        children = list(form.cleaned_data["children"])
        qf = counter.qf_choice(family, form.cleaned_data["qf_source"])
        try:
            if "confirm" not in request.POST:
                planned, places_left = counter.preview(
                    family, commune, period, children, qf
                )
            else:
                new, already = counter.enrol_at_counter(
                    family, commune, period, children, qf, user=request.user
                )
                for item in new:
                    messages.success(
                        request,
                        f"{item.child} : {item.get_status_display()}, "
                        f"{format_money(item.amount)} par {item.unit}.",
                    )
                for item in already:
                    messages.info(request, f"{item.child} avait déjà une inscription.")
                return redirect(family_url(family))
        except PricingError as error:
            problem = str(error)
    return render(
        request,
        "counter.html",
        "Inscription au guichet",
        {
            "form": form,
            "family": family,
            "family_url": family_url(family),
            "planned": planned,
            "problem": problem,
            "places_left": places_left,
        },
        icon="user",
        subtitle=str(family),
    )
