"""The mandate a parent signs online, and the agents' entry of a returned debit."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from .identifiers import InvalidAccount, check_account
from .returns import CHOICES


class MandateForm(forms.Form):
    holder_name = forms.CharField(
        label="Titulaire du compte",
        max_length=70,
        help_text="Nom et prénom, comme sur votre RIB.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    street = forms.CharField(
        label="Adresse du titulaire",
        max_length=140,
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    postcode = forms.CharField(
        label="Code postal",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    city = forms.CharField(
        label="Commune",
        max_length=70,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    iban = forms.CharField(
        label="IBAN",
        max_length=50,
        help_text="Sur votre RIB, par exemple FR76 3000 6000 0112 3456 7890 189.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "text"}
        ),
    )
    bic = forms.CharField(
        label="BIC (facultatif)",
        max_length=20,
        required=False,
        help_text="Facultatif pour un compte en France : retrouvé à partir de l'IBAN.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    consent = forms.BooleanField(
        label=(
            "J'autorise la commune à envoyer des instructions à ma banque pour débiter "
            "mon compte, et ma banque à débiter mon compte conformément à ces "
            "instructions."
        ),
        error_messages={
            "required": "Cochez cette case pour signer le mandat de prélèvement."
        },
    )

    def clean(self):
        cleaned = super().clean()
        if "iban" in cleaned:
            try:
                account = check_account(cleaned["iban"], cleaned.get("bic", ""))
            except InvalidAccount as error:
                field = "bic" if "BIC" in str(error) and cleaned.get("bic") else "iban"
                self.add_error(field, str(error))
            else:
                cleaned["iban"], cleaned["bic"] = account.iban, account.bic
        return cleaned


class RevokeForm(forms.Form):
    confirm = forms.BooleanField(
        label="Je révoque ce mandat : mes prochaines factures ne seront plus prélevées.",
        error_messages={"required": "Cochez cette case pour révoquer le mandat."},
    )


class ReturnForm(forms.Form):
    reason_code = forms.ChoiceField(label="Code motif du rejet", choices=CHOICES)
    returned_on = forms.DateField(
        label="Date du rejet",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )
    note = forms.CharField(label="Remarque", required=False, widget=forms.Textarea)
