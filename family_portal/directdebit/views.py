"""The parent's mandate page: see it (IBAN masked), sign one, replace it, revoke it.
A parent reaches only their own family's mandates: any other is a 404."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render

from family_portal.payments.services import open_invoices
from family_portal.views import family_required
from home.ids import id_or_404

from . import mandates
from .forms import MandateForm, RevokeForm
from .identifiers import InvalidAccount
from .models import Mandate


def _creditor() -> dict:
    return {
        "creditor_name": settings.SEPA_CREDITOR_NAME,
        "creditor_id": settings.SEPA_CREDITOR_ID,
        "notice_days": settings.SEPA_PRENOTIFICATION_DAYS,
    }


@family_required
def mandate(request):
    family = request.family
    current = mandates.active_mandate(family)
    history = family.mandates.exclude(status=Mandate.Status.ACTIVE)[:10]
    invoices = open_invoices(family) if current else []
    return render(
        request,
        "directdebit/mandate.html",
        {
            "offered": mandates.offered(),
            "mandate": current,
            "history": history,
            "invoices": invoices,
            **_creditor(),
        },
    )


def _initial(family) -> dict:
    guardian = family.guardians.order_by("pk").first()
    return {
        "holder_name": f"{guardian.first_name} {guardian.usage_name or guardian.birth_name}"
        if guardian
        else "",
        "street": family.street,
        "postcode": family.postcode,
        "city": family.city,
    }


@family_required
def mandate_sign(request):
    family = request.family
    if not mandates.offered():
        return redirect("family_portal:directdebit:mandate")
    current = mandates.active_mandate(family)
    form = MandateForm(request.POST or None, initial=_initial(family))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            signed = mandates.sign(
                family,
                user=request.user,
                holder_name=data["holder_name"],
                street=data["street"],
                postcode=data["postcode"],
                city=data["city"],
                iban=data["iban"],
                bic=data["bic"],
            )
        except (InvalidAccount, mandates.MandateRefused) as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"Votre mandat de prélèvement {signed.reference} est signé"
                + (" et remplace le précédent." if current else "."),
            )
            return redirect("family_portal:directdebit:mandate")
    return render(
        request,
        "directdebit/sign.html",
        {"form": form, "replacing": current, **_creditor()},
    )


@family_required
def mandate_revoke(request, pk):
    target = get_object_or_404(
        Mandate.objects.filter(family=request.family), pk=id_or_404(pk)
    )
    if not target.is_active:
        messages.info(request, "Ce mandat n'est plus actif.")
        return redirect("family_portal:directdebit:mandate")
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            mandates.revoke(target, user=request.user)
        except mandates.MandateRefused as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"Le mandat {target.reference} est révoqué : vos prochaines factures "
                "ne seront plus prélevées.",
            )
        return redirect("family_portal:directdebit:mandate")
    if request.method not in {"GET", "HEAD", "POST"}:
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(request, "directdebit/revoke.html", {"mandate": target, "form": form})
