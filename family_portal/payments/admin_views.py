"""The agents' counter payments (encaissements): find a family, see what it owes and
its credit, enter a payment and choose the invoices it pays, print its receipt; use the
family's credit on its open invoices; cancel a payment entered by mistake."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.db.models import Q
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache

from activities.pricing.formatting import format_money
from family_portal.backoffice.permissions import require_perms
from family_portal.billing.models import Regie
from family_portal.models import Family
from home import names
from home.ids import id_or_404

from . import export, receipts
from .admin_forms import (
    REFERENCE_LABELS,
    CounterPaymentForm,
    ExportForm,
    FamilySearchForm,
    ReversalForm,
)
from .models import Method, Payment
from .services import (
    BalanceChanged,
    PaymentRefused,
    counter_warning,
    credit_of,
    open_invoices,
    record_payment,
    reverse_payment,
    use_credit,
)

VIEW_PAYMENT = "payments.view_payment"
RECORD_PAYMENT = "payments.record_counter_payment"
SEEN_PREFIX = "seen-"


def render(request, template, title, context=None, *, subtitle=""):
    return TemplateResponse(
        request,
        f"payments/admin/{template}",
        {
            "page_title": title,
            "page_subtitle": subtitle,
            "header_icon": "tasks",
            **(context or {}),
        },
    )


@never_cache
@require_perms(VIEW_PAYMENT)
def family_search(request, export_form=None):
    form = FamilySearchForm(request.GET if export_form is None else None)
    query = names.normalise(form.data.get("q", "")).strip()
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
    recent = Payment.objects.select_related("family", "regie", "recorded_by")[:20]
    return render(
        request,
        "search.html",
        "Encaissements",
        {
            "form": form,
            "query": query,
            "families": families,
            "recent": recent,
            "export_form": export_form or ExportForm(),
        },
    )


@never_cache
@require_perms(VIEW_PAYMENT)
def export_csv(request):
    """The accounting export of a régie's payments for a month (README)."""
    form = ExportForm(request.GET)
    if not form.is_valid():  # the search page again, saying what to choose
        return family_search(request, export_form=form)
    regie, month = form.cleaned_data["regie"], form.cleaned_data["month"]
    response = HttpResponse(
        export.to_csv(regie, month), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="encaissements-{regie.code}-{month:%Y-%m}.csv"'
    )
    return response


def _seen(post) -> dict[int, Decimal]:
    """What the agent's screen showed owing on each invoice (hidden fields)."""
    seen = {}
    for key, value in post.items():
        if key.startswith(SEEN_PREFIX):
            try:
                seen[int(key[len(SEEN_PREFIX) :])] = Decimal(value)
            except (ValueError, InvalidOperation):
                continue
    return seen


@never_cache
@require_perms(VIEW_PAYMENT)
def family_account(request, family_pk):
    family = get_object_or_404(Family, pk=id_or_404(family_pk))
    invoices = open_invoices(family)
    can_record = request.user.has_perm(RECORD_PAYMENT)
    form = CounterPaymentForm(
        request.POST if request.method == "POST" else None,
        family=family,
        open_invoices=invoices,
    )
    if request.method == "POST":
        if not can_record:
            messages.error(
                request, "Vous n'avez pas le droit d'enregistrer les paiements."
            )
            return redirect("payments_admin:family", family_pk=family.pk)
        if form.is_valid():
            data = form.cleaned_data
            try:
                payment = record_payment(
                    family,
                    data["amount"],
                    data["method"],
                    received_on=data["received_on"],
                    recorded_by=request.user,
                    invoices=data["invoices"],
                    regie=data["regie"],
                    reference=data["reference"],
                    bank=data["bank"] if data["method"] == Method.CHEQUE else "",
                    payer=data["payer"],
                    note=data["note"],
                    expected_outstanding=_seen(request.POST),
                )
            except BalanceChanged as refusal:
                form.add_error("invoices", str(refusal))
                # Show what is owed now; what the agent typed stays in the form.
                invoices = open_invoices(family)
                form.open_invoices = invoices
            except PaymentRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(
                    request,
                    f"Paiement de {format_money(payment.amount)} enregistré : "
                    f"reçu n° {payment.receipt_number}.",
                )
                return redirect("payments_admin:payment", pk=payment.pk)
    for invoice in invoices:
        invoice.counter_warning = counter_warning(invoice)
    credits = [
        (regie, credit_of(family, regie))
        for regie in Regie.objects.filter(payments__family=family).distinct()
    ]
    return render(
        request,
        "family.html",
        family.name,
        {
            "family": family,
            "form": form,
            "invoices": invoices,
            "owed": sum((invoice.outstanding() for invoice in invoices), Decimal(0)),
            "credits": [(regie, amount) for regie, amount in credits if amount],
            "payments": Payment.objects.filter(family=family)
            .select_related("regie", "recorded_by", "reversed_by")
            .prefetch_related("allocations__invoice")[:50],
            "can_record": can_record,
            "reference_labels": {str(k): v for k, v in REFERENCE_LABELS.items()},
            "seen_prefix": SEEN_PREFIX,
        },
        subtitle="Encaissements",
    )


@require_perms(VIEW_PAYMENT, RECORD_PAYMENT)
def family_use_credit(request, family_pk):
    family = get_object_or_404(Family, pk=id_or_404(family_pk))
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    regie = get_object_or_404(Regie, pk=id_or_404(request.POST.get("regie", "")))
    try:
        used = use_credit(family, regie=regie, by=request.user)
    except PaymentRefused as refusal:
        messages.error(request, str(refusal))
    else:
        if used:
            messages.success(
                request, f"{format_money(used)} de l'avoir affectés aux factures."
            )
        else:
            messages.info(request, "Aucune facture de cette régie à payer par l'avoir.")
    return redirect("payments_admin:family", family_pk=family.pk)


def _payment(pk) -> Payment:
    return get_object_or_404(
        Payment.objects.select_related(
            "family", "regie", "recorded_by", "reversed_by", "operation"
        ),
        pk=id_or_404(pk),
    )


@never_cache
@require_perms(VIEW_PAYMENT)
def payment_detail(request, pk):
    payment = _payment(pk)
    can_record = request.user.has_perm(RECORD_PAYMENT)
    form = ReversalForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not can_record:
            messages.error(request, "Vous n'avez pas le droit d'annuler les paiements.")
            return redirect("payments_admin:payment", pk=payment.pk)
        if form.is_valid():
            try:
                reverse_payment(
                    payment, reason=form.cleaned_data["reason"], by=request.user
                )
            except PaymentRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(
                    request, "Paiement annulé ; les factures sont rouvertes."
                )
                return redirect("payments_admin:payment", pk=payment.pk)
    return render(
        request,
        "payment.html",
        f"Paiement de {format_money(payment.amount)}",
        {
            "payment": payment,
            "allocations": payment.allocations.select_related(
                "invoice", "created_by", "reverses"
            ),
            "form": form,
            "can_reverse": can_record
            and not payment.is_reversed
            and payment.method != Method.ONLINE,
        },
        subtitle=payment.family.name,
    )


@never_cache
@require_perms(VIEW_PAYMENT)
def receipt_pdf(request, pk):
    payment = _payment(pk)
    if not payment.receipt_number:
        return HttpResponse(status=404)
    response = HttpResponse(receipts.pdf_of(payment), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{receipts.filename(payment)}"'
    return response
