"""Forms of the counter screens: finding a family, entering a payment (fields that depend
on the method, French amounts and messages), cancelling one."""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone

from activities.fields import normalize_number
from family_portal.billing.compute import month_label, previous_month
from family_portal.billing.models import Invoice, Regie

from .models import COUNTER_METHODS, Method

# What the reference means, per method (its label on the receipt and the form).
REFERENCE_LABELS = {
    Method.CHEQUE: "Numéro du chèque",
    Method.TRANSFER: "Référence du virement",
    Method.CESU: "Numéros des titres CESU",
    Method.ANCV: "Numéros des chèques-vacances",
}
REQUIRED_REFERENCE = {
    Method.CHEQUE: "Indiquez le numéro du chèque.",
    Method.TRANSFER: "Indiquez la référence du virement (lue sur le relevé).",
}


# Every message an agent can read is ours, in French, whatever language is active
# (Django's defaults would follow it: "This field is required.", "Enter a valid date.").
def _errors(**messages) -> dict:
    return {
        "required": "Ce champ est obligatoire.",
        "invalid": "Valeur illisible : vérifiez ce champ.",
        "invalid_choice": "Ce choix n'est pas proposé : choisissez dans la liste.",
        "invalid_list": "Choisissez dans la liste.",
        "max_length": "Ce champ est trop long : %(limit_value)d caractères au plus "
        "(il en a %(show_value)d).",
        **messages,
    }


class FamilySearchForm(forms.Form):
    q = forms.CharField(
        label="Nom de la famille, d'un responsable ou d'un enfant",
        max_length=100,
        required=False,
        error_messages=_errors(),
    )


class CounterPaymentForm(forms.Form):
    method = forms.ChoiceField(
        label="Moyen de paiement",
        choices=[(m.value, m.label) for m in COUNTER_METHODS],
        widget=forms.RadioSelect,
        error_messages=_errors(
            required="Choisissez le moyen de paiement.",
            invalid_choice="Choisissez un moyen de paiement de la liste.",
        ),
    )
    amount = forms.CharField(
        label="Montant reçu (€)",
        max_length=20,
        help_text="Par exemple 42,50.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages=_errors(required="Indiquez le montant reçu, par exemple 42,50."),
    )
    received_on = forms.DateField(
        label="Reçu le",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages=_errors(
            required="Indiquez la date de réception.",
            invalid="Date illisible : écrivez-la comme 15/11/2026.",
        ),
    )
    reference = forms.CharField(
        label="Numéro du chèque, référence du virement ou numéros des titres",
        max_length=60,
        required=False,
        error_messages=_errors(),
    )
    bank = forms.CharField(
        label="Banque (chèque)",
        max_length=80,
        required=False,
        error_messages=_errors(),
    )
    payer = forms.CharField(
        label="Payeur, s'il n'est pas un responsable de la famille",
        max_length=150,
        required=False,
        error_messages=_errors(),
    )
    note = forms.CharField(
        label="Remarque (interne)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages=_errors(),
    )
    invoices = forms.MultipleChoiceField(
        label="Factures payées (dans cet ordre, la plus ancienne d'abord)",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Ce qui dépasse les factures cochées devient un avoir de la famille.",
        error_messages=_errors(
            invalid_choice="Une facture cochée n'est pas une facture de cette famille."
        ),
    )
    regie = forms.ModelChoiceField(
        Regie.objects.all(),
        label="Régie qui reçoit le paiement",
        required=False,
        empty_label="Celle des factures cochées",
        error_messages=_errors(invalid_choice="Choisissez une régie de la liste."),
    )

    def __init__(self, *args, family, open_invoices=(), today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.open_invoices = list(open_invoices)
        # Any invoice of the family may be sent: one paid meanwhile by someone else
        # is then refused by the service with a clear message, not as a bad choice.
        self.family_invoices = list(
            Invoice.objects.filter(family=family, kind=Invoice.Kind.INVOICE)
            .select_related("regie")
            .order_by("issue_date", "pk")
        )
        self.fields["invoices"].choices = [
            (str(invoice.pk), str(invoice.pk)) for invoice in self.family_invoices
        ]
        if not self.is_bound:
            self.initial.setdefault("received_on", self.today)
            self.initial.setdefault(
                "invoices", [str(invoice.pk) for invoice in self.open_invoices]
            )

    def clean_amount(self):
        text = normalize_number(self.cleaned_data["amount"])
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(
                "Écrivez un montant en euros, par exemple 42,50."
            ) from None
        if amount != amount.quantize(Decimal("0.01")):
            raise forms.ValidationError("Au plus deux chiffres après la virgule.")
        if amount <= 0:
            raise forms.ValidationError("Le montant doit être supérieur à zéro.")
        if amount > Decimal("100000"):
            raise forms.ValidationError("Le montant ne peut pas dépasser 100 000 €.")
        return amount

    def clean_received_on(self):
        day = self.cleaned_data["received_on"]
        if day > self.today:
            raise forms.ValidationError("La date de réception ne peut pas être future.")
        if day < self.today - datetime.timedelta(days=366):
            raise forms.ValidationError(
                "La date de réception remonte à plus d'un an : vérifiez-la."
            )
        return day

    def clean_invoices(self):
        chosen = set(self.cleaned_data["invoices"])
        # Oldest first, whatever order the browser sent.
        return [
            invoice for invoice in self.family_invoices if str(invoice.pk) in chosen
        ]

    def clean(self):
        data = super().clean()
        method = data.get("method")
        reference = (data.get("reference") or "").strip()
        if method in REQUIRED_REFERENCE and not reference:
            self.add_error("reference", REQUIRED_REFERENCE[method])
        if method == Method.CHEQUE and not (data.get("bank") or "").strip():
            self.add_error("bank", "Indiquez la banque du chèque.")
        invoices = data.get("invoices") or []
        regies = {invoice.regie_id for invoice in invoices}
        regie = data.get("regie")
        if len(regies) > 1:
            self.add_error(
                "invoices",
                "Ces factures relèvent de plusieurs régies : enregistrez un paiement "
                "par régie.",
            )
        elif regie and regies and regies != {regie.pk}:
            self.add_error(
                "regie", "Les factures cochées sont celles d'une autre régie."
            )
        elif not invoices and not regie and Regie.objects.count() != 1:
            self.add_error(
                "regie",
                "Aucune facture cochée : choisissez la régie qui reçoit le paiement "
                "(il deviendra un avoir de la famille).",
            )
        return data


class ExportForm(forms.Form):
    regie = forms.ModelChoiceField(
        Regie.objects.all(),
        label="Régie",
        empty_label=None,
        error_messages=_errors(
            required="Choisissez la régie.",
            invalid_choice="Choisissez une régie de la liste.",
        ),
    )
    month = forms.ChoiceField(
        label="Mois",
        error_messages=_errors(
            required="Choisissez le mois.",
            invalid_choice="Choisissez un mois de la liste (les treize derniers).",
        ),
    )

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        month = (today or timezone.localdate()).replace(day=1)
        choices = []
        for _ in range(13):
            choices.append((month.isoformat(), month_label(month).capitalize()))
            month = previous_month(month)
        self.fields["month"].choices = choices

    def clean_month(self):
        return datetime.date.fromisoformat(self.cleaned_data["month"])


class ReversalForm(forms.Form):
    reason = forms.CharField(
        label="Motif de l'annulation",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages=_errors(required="Indiquez le motif de l'annulation."),
        help_text="Par exemple : saisi sur la mauvaise famille, montant erroné. "
        "Le paiement reste visible, annulé, avec ce motif.",
    )
    confirm = forms.BooleanField(
        label="Je confirme l'annulation de ce paiement",
        error_messages={"required": "Cochez la case pour confirmer l'annulation."},
    )
