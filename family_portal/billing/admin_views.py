"""The agents' billing screens: monthly runs (start, follow, review, issue, resume,
export), an invoice with its credit notes and the corrections for the next one."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache

from family_portal.backoffice.permissions import require_perms
from home.ids import id_or_404

from . import corrections, documents, export, tasks
from .admin_forms import CorrectionForm, CreditNoteForm, RunForm
from .compute import RegieMonth, month_label
from .grouping import groups_of
from .models import Adjustment, BillingRun, Invoice, RunFamily, ServiceRules
from .runs import RunRefused

VIEW_RUN = "billing.view_billingrun"
ADD_RUN = "billing.add_billingrun"
VIEW_INVOICE = "billing.view_invoice"
ADD_INVOICE = "billing.add_invoice"
ADD_ADJUSTMENT = "billing.add_adjustment"


def render(request, template, title, context=None, *, subtitle=""):
    return TemplateResponse(
        request,
        f"billing/admin/{template}",
        {
            "page_title": title,
            "page_subtitle": subtitle,
            "header_icon": "form",
            **(context or {}),
        },
    )


@never_cache
@require_perms(VIEW_RUN)
def run_list(request):
    form = RunForm(request.POST or None)
    if request.method == "POST":
        if not request.user.has_perm(ADD_RUN):
            return redirect("billing_admin:run_list")
        if form.is_valid():
            try:
                run = tasks.start(
                    form.cleaned_data["regie"],
                    form.cleaned_data["month"],
                    dry_run=request.POST.get("mode") != "real",
                    user=request.user,
                )
            except RunRefused as error:
                form.add_error(None, str(error))
            else:
                return redirect("billing_admin:run_detail", pk=run.pk)
    runs = BillingRun.objects.select_related("regie", "requested_by")[:50]
    return render(
        request,
        "run_list.html",
        "Facturation mensuelle",
        {"form": form, "runs": runs, "month_label": month_label},
    )


@never_cache
@require_perms(VIEW_RUN)
def run_detail(request, pk):
    run = get_object_or_404(
        BillingRun.objects.select_related("regie"), pk=id_or_404(pk)
    )
    results = RunFamily.objects.filter(run=run).select_related("family", "invoice")
    if request.GET.get("anomalies"):
        results = results.exclude(anomalies=[])
    page = Paginator(results, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "run_detail.html",
        str(run),
        {
            "run": run,
            "page": page,
            "month": month_label(run.month),
            "with_anomalies": RunFamily.objects.filter(run=run)
            .exclude(anomalies=[])
            .count(),
            "with_errors": RunFamily.objects.filter(
                run=run, outcome=RunFamily.Outcome.ERROR
            ).count(),
            "real_run": BillingRun.objects.filter(
                regie=run.regie, month=run.month, dry_run=False
            ).first(),
        },
    )


@never_cache
@require_perms(VIEW_RUN)
def run_family(request, pk, family_pk):
    """One family's month as the run computes it now, line by line."""
    run = get_object_or_404(
        BillingRun.objects.select_related("regie"), pk=id_or_404(pk)
    )
    result = get_object_or_404(
        RunFamily.objects.select_related("family", "invoice"),
        run=run,
        family_id=id_or_404(family_pk),
    )
    (draft,) = RegieMonth(run.regie, run.month).compute([result.family_id])
    return render(
        request,
        "run_family.html",
        result.family.name,
        {"run": run, "result": result, "draft": draft, "month": month_label(run.month)},
        subtitle=str(run),
    )


@never_cache
@require_perms(VIEW_RUN)
def run_progress(request, pk):
    run = get_object_or_404(BillingRun, pk=id_or_404(pk))
    return JsonResponse(run.progress_state())


@require_perms(ADD_RUN)
def run_issue(request, pk):
    """From a reviewed dry run: start (or resume) the real run of its month."""
    dry = get_object_or_404(BillingRun, pk=id_or_404(pk))
    if (
        request.method != "POST"
    ):  # after the lookup: a bad id is a 404 whatever the verb
        return HttpResponseNotAllowed(["POST"])
    try:
        run = tasks.start(dry.regie, dry.month, dry_run=False, user=request.user)
    except RunRefused as error:
        messages.error(request, str(error))
        return redirect("billing_admin:run_detail", pk=dry.pk)
    messages.success(request, "Émission des factures lancée.")
    return redirect("billing_admin:run_detail", pk=run.pk)


@require_perms(ADD_RUN)
def run_resume(request, pk):
    run = get_object_or_404(BillingRun, pk=id_or_404(pk))
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    count = tasks.resume(run)
    messages.success(request, f"{count} lot(s) de familles relancé(s).")
    return redirect("billing_admin:run_detail", pk=run.pk)


@require_perms(ADD_RUN)
def run_rerun(request, pk):
    """Run the month again for the families to correct (or, in a dry run, those
    with points to check), once the agent fixed them."""
    run = get_object_or_404(BillingRun, pk=id_or_404(pk))
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    which = "anomalies" if request.POST.get("which") == "anomalies" else "errors"
    try:
        batch = tasks.rerun(run, which)
    except RunRefused as error:
        messages.error(request, str(error))
    else:
        count = len(batch.family_ids)
        messages.success(
            request, f"{count} famille{'s' * (count > 1)} en cours de recalcul."
        )
    return redirect("billing_admin:run_detail", pk=run.pk)


@never_cache
@require_perms(VIEW_INVOICE)
def run_export(request, pk):
    run = get_object_or_404(
        BillingRun.objects.select_related("regie"), pk=id_or_404(pk)
    )
    response = HttpResponse(
        export.to_csv(run.regie, run.month), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="factures-{run.regie.code}-{run.month:%Y-%m}.csv"'
    )
    return response


@never_cache
@require_perms(VIEW_INVOICE)
def invoice_detail(request, pk):
    invoice = get_object_or_404(
        Invoice.objects.select_related(
            "family", "regie", "credited_invoice", "created_by"
        ),
        pk=id_or_404(pk),
    )
    credit_form = CreditNoteForm(request.POST if "credit" in request.POST else None)
    correction_form = CorrectionForm(
        request.POST if "correction" in request.POST else None
    )
    if request.method == "POST":
        try:
            if "credit" in request.POST and request.user.has_perm(ADD_INVOICE):
                if credit_form.is_valid():
                    note = corrections.issue_credit_note(
                        invoice,
                        credit_form.cleaned_data["amount"],
                        credit_form.cleaned_data["reason"],
                        user=request.user,
                    )
                    messages.success(request, f"Avoir n° {note.number} émis.")
                    return redirect("billing_admin:invoice_detail", pk=invoice.pk)
            elif "correction" in request.POST and request.user.has_perm(ADD_ADJUSTMENT):
                if correction_form.is_valid():
                    corrections.add_correction(
                        invoice.regie,
                        invoice.family,
                        correction_form.cleaned_data["amount"],
                        correction_form.cleaned_data["reason"],
                        user=request.user,
                    )
                    messages.success(
                        request,
                        "Correction enregistrée : elle figurera sur la prochaine facture.",
                    )
                    return redirect("billing_admin:invoice_detail", pk=invoice.pk)
        except corrections.CorrectionRefused as error:
            form = credit_form if "credit" in request.POST else correction_form
            form.add_error(
                "amount" if "montant" in str(error).lower() else "reason", str(error)
            )
    return render(
        request,
        "invoice_detail.html",
        str(invoice),
        {
            "invoice": invoice,
            "groups": groups_of(invoice),
            "status": invoice.status_label(),
            "outstanding": invoice.outstanding(),
            "credit_notes": invoice.credit_notes.select_related("created_by"),
            "pending": Adjustment.objects.filter(
                family=invoice.family, regie=invoice.regie, line__isnull=True
            ).select_related("created_by"),
            "credit_form": credit_form,
            "correction_form": correction_form,
            "can_credit": request.user.has_perm(ADD_INVOICE)
            and not invoice.is_credit_note,
            "can_correct": request.user.has_perm(ADD_ADJUSTMENT),
        },
    )


@never_cache
@require_perms(VIEW_INVOICE)
def invoice_pdf(request, pk):
    invoice = get_object_or_404(Invoice, pk=id_or_404(pk))
    response = HttpResponse(documents.pdf_of(invoice), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{documents.filename(invoice)}"'
    )
    return response


@never_cache
@require_perms("billing.view_servicerules")
def rules_export(request, pk):
    rules = get_object_or_404(ServiceRules, pk=id_or_404(pk))
    versions = rules.versions.order_by("-number")
    number = request.GET.get("version")
    version = (
        versions.filter(number=id_or_404(number)).first()
        if number
        else versions.first()
    )
    if version is None:
        return HttpResponse(status=404)
    response = JsonResponse(
        version.document, json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{rules.slug}-v{version.number}.json"'
    )
    return response
