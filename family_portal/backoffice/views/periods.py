"""Periods: their enrolments and waiting lists, and re-pricing a whole period."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from activities.models import ActivityPeriod

from .. import dashboard, places, pricing
from ..forms import (
    CapacityForm,
    RepriceForm,
)
from ..links import certificate_batch_url
from ..permissions import (
    CHANGE_ENROLMENT,
    VIEW_ENROLMENT,
    require_perms,
)
from .common import commune_of, posted, render


@never_cache
@require_perms(VIEW_ENROLMENT)
def period_list(request):
    return render(
        request,
        "period_list.html",
        "Périodes et listes d'attente",
        {"loads": dashboard.period_loads(timezone.localdate())},
        icon="date",
    )


@never_cache
@require_perms(VIEW_ENROLMENT)
def period_detail(request, pk):
    period = get_object_or_404(ActivityPeriod.objects.select_related("activity"), pk=pk)
    if request.method == "POST":
        if not request.user.has_perm(CHANGE_ENROLMENT):
            return redirect("wagtailadmin_home")
        promoted = places.fill_free_places(period, user=request.user)
        if promoted:
            messages.success(
                request,
                f"{len(promoted)} enfant(s) inscrit(s) depuis la liste d'attente ; les "
                "familles sont prévenues par courriel.",
            )
        else:
            messages.info(request, "Aucune place libre, ou personne en attente.")
        return redirect("family_backoffice:period_detail", pk=period.pk)
    load = dashboard.period_load(period)
    return render(
        request,
        "period_detail.html",
        f"{period.activity.title} — {period.label}",
        {
            "period": period,
            "load": load,
            "waiting": list(places.waiting_list(period)),
            "certificates_url": certificate_batch_url(period),
            "enrolments_url": reverse("family_portal_enrolment_modeladmin_index")
            + f"?period__id__exact={period.pk}",
        },
        icon="date",
    )


@never_cache
@require_perms(CHANGE_ENROLMENT)
def period_capacity(request, pk):
    """An agent changes the period's number of places, with a reason (audited)."""
    period = get_object_or_404(ActivityPeriod.objects.select_related("activity"), pk=pk)
    back_url = reverse("family_backoffice:period_detail", args=[period.pk])
    form = CapacityForm(posted(request), initial={"capacity": period.capacity})
    if request.method == "POST" and form.is_valid():
        try:
            before = places.change_capacity(
                period,
                form.cleaned_data["capacity"],
                reason=form.cleaned_data["reason"],
                user=request.user,
            )
        except places.PlaceRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"Nombre de places : {before} → {form.cleaned_data['capacity']}.",
            )
            return redirect(back_url)
    return render(
        request,
        "period_capacity.html",
        "Modifier le nombre de places",
        {"form": form, "period": period, "back_url": back_url},
        icon="date",
        subtitle=f"{period.activity.title} — {period.label}",
    )


@never_cache
@require_perms(CHANGE_ENROLMENT)
def period_reprice(request, pk):
    """Re-price a period with a corrected barème: a preview first, then apply."""
    period = get_object_or_404(ActivityPeriod.objects.select_related("activity"), pk=pk)
    versions = pricing.period_versions(period)
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = RepriceForm(data, versions=versions)
    lines, stamp = None, ""
    if data is not None and form.is_valid():
        version = form.cleaned_data["version"]
        commune = commune_of(request)
        if request.method == "POST":
            changes = pricing.apply_to_period(
                period,
                commune,
                version,
                reason=form.cleaned_data["reason"]
                or f"Correction du barème : {version}.",
                user=request.user,
                expected=form.cleaned_data["fingerprint"],
            )
            if changes is not None:
                messages.success(
                    request,
                    f"{len(changes)} inscription(s) recalculée(s) avec {version}.",
                )
                return redirect("family_backoffice:period_detail", pk=period.pk)
            messages.warning(
                request,
                "Les inscriptions ont changé depuis l'aperçu : vérifiez ce nouvel "
                "aperçu avant d'appliquer.",
            )
        lines = pricing.preview(pricing.period_enrolments(period), commune, version)
        stamp = pricing.fingerprint(lines)
    return render(
        request,
        "reprice.html",
        "Recalculer les tarifs",
        {
            "form": form,
            "lines": lines,
            "changed": [line for line in lines or [] if line.changed],
            "fingerprint": stamp,
            "back_url": reverse("family_backoffice:period_detail", args=[period.pk]),
        },
        icon="calculator",
        subtitle=f"{period.activity.title} — {period.label}",
    )
