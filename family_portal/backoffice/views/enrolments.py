"""Audited actions on one enrolment: re-price, correct the price, cancel, promote."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache

from activities.models import BaremeVersion
from activities.pricing.formatting import format_money

from ...models import (
    Enrolment,
)
from .. import places, pricing
from ..forms import (
    OverrideForm,
    ReasonForm,
    RepriceForm,
)
from ..links import enrolment_url
from ..permissions import (
    CHANGE_ENROLMENT,
    require_perms,
)
from .common import commune_of, posted, render


def _enrolment(pk):
    return get_object_or_404(
        Enrolment.objects.select_related(
            "family", "child", "period__activity", "quotient", "bareme_version__bareme"
        ),
        pk=pk,
    )


@never_cache
@require_perms(CHANGE_ENROLMENT)
def enrolment_reprice(request, pk):
    item = _enrolment(pk)
    versions = (
        BaremeVersion.objects.filter(bareme=item.bareme_version.bareme_id)
        .select_related("bareme")
        .order_by("-number")
    )
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = RepriceForm(data, versions=versions, initial={"version": versions.first()})
    lines, stamp = None, ""
    if data is not None and form.is_valid():
        version = form.cleaned_data["version"]
        commune = commune_of(request)
        lines = pricing.preview([item], commune, version)
        stamp = pricing.fingerprint(lines)
        if request.method == "POST":
            if stamp == form.cleaned_data["fingerprint"]:
                changes = pricing.apply(
                    lines,
                    commune,
                    version,
                    reason=form.cleaned_data["reason"]
                    or f"Correction du barème : {version}.",
                    user=request.user,
                    audit_each=True,
                )
                messages.success(
                    request,
                    "Tarif recalculé." if changes else "Le tarif ne change pas.",
                )
                return redirect(enrolment_url(item))
            messages.warning(
                request, "Le tarif a changé depuis l'aperçu : vérifiez-le."
            )
    return render(
        request,
        "reprice.html",
        "Recalculer le tarif",
        {
            "form": form,
            "lines": lines,
            "changed": [line for line in lines or [] if line.changed],
            "fingerprint": stamp,
            "back_url": enrolment_url(item),
        },
        icon="calculator",
        subtitle=str(item),
    )


def _enrolment_action(
    request, item, form, act, *, title, submit, icon, back_url, danger=False
):
    """One action on an enrolment, with its form: on a valid POST, `act(cleaned_data)`
    calls the service and returns (success message, where to go); a refusal of the
    service (PriceChangeRefused, PlaceRefused) is shown on the form, in French."""
    if request.method == "POST" and form.is_valid():
        try:
            message, target = act(form.cleaned_data)
        except (pricing.PriceChangeRefused, places.PlaceRefused) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, message)
            return redirect(target)
    return render(
        request,
        "action_form.html",
        title,
        {
            "form": form,
            "enrolment": item,
            "submit": submit,
            "danger": danger,
            "back_url": back_url,
        },
        icon=icon,
        subtitle=str(item),
    )


@never_cache
@require_perms(CHANGE_ENROLMENT)
def enrolment_override(request, pk):
    item = _enrolment(pk)

    def act(cleaned):
        pricing.override_price(
            item, amount=cleaned["amount"], reason=cleaned["reason"], user=request.user
        )
        return f"Tarif fixé à {format_money(cleaned['amount'])}.", enrolment_url(item)

    return _enrolment_action(
        request,
        item,
        OverrideForm(posted(request)),
        act,
        title="Corriger le tarif",
        submit="Enregistrer le tarif",
        icon="edit",
        back_url=enrolment_url(item),
    )


@never_cache
@require_perms(CHANGE_ENROLMENT)
def enrolment_cancel(request, pk):
    item = _enrolment(pk)

    def act(cleaned):
        promoted = places.cancel(item, reason=cleaned["reason"], user=request.user)
        text = "Inscription annulée."
        if promoted:
            names = ", ".join(str(entry.child) for entry in promoted)
            text += f" Place attribuée à {names} (liste d'attente), famille prévenue."
        return text, enrolment_url(item)

    return _enrolment_action(
        request,
        item,
        ReasonForm(
            posted(request),
            label="Motif de l'annulation",
            help_text="Envoyé à la famille par courriel.",
        ),
        act,
        title="Annuler l'inscription",
        submit="Annuler l'inscription",
        icon="cross",
        back_url=enrolment_url(item),
        danger=True,
    )


@never_cache
@require_perms(CHANGE_ENROLMENT)
def enrolment_promote(request, pk):
    item = _enrolment(pk)
    period_url = reverse("family_backoffice:period_detail", args=[item.period_id])

    def act(cleaned):
        places.promote(item, reason=cleaned["reason"], user=request.user)
        return (
            f"L'inscription de {item.child} est confirmée ; la famille est prévenue.",
            period_url,
        )

    return _enrolment_action(
        request,
        item,
        ReasonForm(
            posted(request),
            label="Motif",
            help_text="Obligatoire si d'autres enfants attendent avant celui-ci.",
            required=False,
        ),
        act,
        title="Inscrire depuis la liste d'attente",
        submit="Inscrire",
        icon="tick",
        back_url=period_url,
    )
