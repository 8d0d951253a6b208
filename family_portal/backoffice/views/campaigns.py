"""The back-office screens of the yearly QF campaign: start it, follow its progress,
read its report (family_portal/backoffice/campaigns.py runs it)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from qf_connector.errors import InvalidInput
from qf_connector.identity import coerce_month

from ...models import Family, QfCampaign, QfRefreshOutcome
from .. import campaigns
from ..permissions import require_perms
from .common import render

VIEW_CAMPAIGN = "family_portal.view_qfcampaign"
START_CAMPAIGN = "family_portal.add_qfcampaign"


class CampaignForm(forms.Form):
    month = forms.CharField(
        label="Mois du quotient familial demandé",
        help_text="AAAA-MM, par exemple 2026-01 : le QF calculé par la CAF ou la MSA "
        "pour ce mois.",
        max_length=7,
    )

    def clean_month(self):
        try:
            return coerce_month(self.cleaned_data["month"].strip())
        except InvalidInput as error:
            raise forms.ValidationError(error.message) from error


@never_cache
@require_perms(VIEW_CAMPAIGN)
def campaign_list(request):
    form = CampaignForm(
        request.POST or None,
        initial={"month": f"{campaigns.default_month():%Y-%m}"},
    )
    if request.method == "POST" and request.user.has_perm(START_CAMPAIGN):
        if form.is_valid():
            try:
                campaign = campaigns.start(
                    form.cleaned_data["month"], user=request.user
                )
            except campaigns.CampaignRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                return redirect("family_backoffice:campaign_detail", pk=campaign.pk)
    return render(
        request,
        "campaign_list.html",
        "Campagne annuelle du QF",
        {
            "form": form,
            "can_start": request.user.has_perm(START_CAMPAIGN),
            "consenting": Family.objects.filter(qf_refresh_consent=True).count(),
            "campaigns": QfCampaign.objects.select_related("requested_by")[:20],
        },
        icon="calculator",
    )


def _not_refreshed(campaign):
    """The families the campaign could not refresh, for the agents to follow up."""
    return (
        QfRefreshOutcome.objects.filter(month=campaign.month)
        .exclude(status=QfRefreshOutcome.Status.REFRESHED)
        .select_related("family")
        .order_by("status", "family__name")[:200]
    )


@never_cache
@require_perms(VIEW_CAMPAIGN)
def campaign_detail(request, pk):
    campaign = get_object_or_404(QfCampaign, pk=pk)
    if campaign.interrupted:
        messages.warning(
            request,
            "Cette campagne a été interrompue (le traitement en arrière-plan s'est "
            "arrêté sans la terminer) : reprenez-la, les familles déjà faites ne "
            "seront pas interrogées une seconde fois.",
        )
    elif campaign.status == QfCampaign.Status.DONE and campaign.report.get("failed"):
        messages.warning(
            request,
            "Des échecs provisoires restent : relancez la campagne du même mois plus "
            "tard, seules ces familles seront interrogées.",
        )
    return render(
        request,
        "campaign_detail.html",
        str(campaign),
        {
            "campaign": campaign,
            "can_resume": campaign.interrupted
            and request.user.has_perm(START_CAMPAIGN),
            "not_refreshed": _not_refreshed(campaign)
            if campaign.finished or campaign.interrupted
            else [],
        },
        icon="calculator",
    )


@require_POST
@require_perms(START_CAMPAIGN)
def campaign_resume(request, pk):
    """Resume a campaign its process left "en cours" (killed, restarted)."""
    campaign = get_object_or_404(QfCampaign, pk=pk)
    try:
        campaigns.resume(campaign, user=request.user)
    except campaigns.CampaignRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            "Campagne reprise : les familles déjà faites pour ce mois ne sont pas "
            "interrogées une seconde fois.",
        )
    return redirect("family_backoffice:campaign_detail", pk=campaign.pk)


@never_cache
@require_perms(VIEW_CAMPAIGN)
def campaign_status(request, pk):
    return JsonResponse(get_object_or_404(QfCampaign, pk=pk).progress_state())
