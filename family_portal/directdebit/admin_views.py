"""The agents' direct-debit screens: the batches exported, the preview and export of the
next file (its own permission), a batch's lines and its file again, entering a return."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache

from activities.pricing.formatting import format_money
from family_portal.backoffice.permissions import require_perms
from home.ids import id_or_404

from . import export as exporting
from . import returns
from .collection import ReturnRefused, record_return
from .forms import ReturnForm
from .models import DebitBatch, DebitLine

VIEW_BATCH = "directdebit.view_debitbatch"
EXPORT_BATCH = "directdebit.export_debitbatch"
ADD_RETURN = "directdebit.add_debitreturn"


def render(request, template, title, context=None, *, subtitle=""):
    return TemplateResponse(
        request,
        f"directdebit/admin/{template}",
        {
            "page_title": title,
            "page_subtitle": subtitle,
            "header_icon": "form",
            **(context or {}),
        },
    )


@never_cache
@require_perms(VIEW_BATCH)
def batch_list(request):
    candidates = exporting.candidates()
    return render(
        request,
        "batch_list.html",
        "Prélèvements automatiques",
        {
            "batches": DebitBatch.objects.select_related("created_by")[:50],
            "included": [c for c in candidates if c.included],
            "excluded": [c for c in candidates if not c.included],
            "can_export": request.user.has_perm(EXPORT_BATCH),
            "notice_days": settings.SEPA_PRENOTIFICATION_DAYS,
        },
    )


@require_perms(VIEW_BATCH, EXPORT_BATCH)
def batch_export(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        batch = exporting.export(request.user)
    except exporting.ExportRefused as error:
        messages.error(request, str(error))
        return redirect("directdebit_admin:batch_list")
    messages.success(
        request,
        f"Fichier exporté : {batch.count} prélèvements, {format_money(batch.total)}. "
        "Téléchargez-le et déposez-le à la banque.",
    )
    return redirect("directdebit_admin:batch_detail", pk=batch.pk)


@never_cache
@require_perms(VIEW_BATCH)
def batch_detail(request, pk):
    batch = get_object_or_404(
        DebitBatch.objects.select_related("created_by"), pk=id_or_404(pk)
    )
    lines = batch.lines.select_related(
        "invoice__family", "invoice__regie", "mandate", "ret"
    ).order_by("collection_date", "pk")
    return render(
        request,
        "batch_detail.html",
        str(batch),
        {"batch": batch, "lines": lines, "reason_label": returns.label},
    )


@never_cache
@require_perms(VIEW_BATCH)
def batch_file(request, pk):
    batch = get_object_or_404(DebitBatch, pk=id_or_404(pk))
    response = HttpResponse(batch.content, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{batch.filename}"'
    return response


@never_cache
@require_perms(VIEW_BATCH, ADD_RETURN)
def line_return(request, pk):
    line = get_object_or_404(
        DebitLine.objects.select_related("invoice__family", "mandate", "batch"),
        pk=id_or_404(pk),
    )
    form = ReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record_return(
                line,
                reason_code=form.cleaned_data["reason_code"],
                returned_on=form.cleaned_data["returned_on"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except ReturnRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"Rejet enregistré : la facture {line.invoice.number} est de nouveau à "
                "payer et la famille est prévenue par courriel.",
            )
            return redirect("directdebit_admin:batch_detail", pk=line.batch_id)
    return render(
        request,
        "line_return.html",
        f"Rejet du prélèvement de la facture {line.invoice.number}",
        {"line": line, "form": form},
        subtitle=line.invoice.family.name,
    )
