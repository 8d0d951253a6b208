"""Forms of the back-office views (French labels and messages)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone

from activities.fields import normalize_number, split_words
from activities.models import BaremeBracket, BaremeColumn
from home.ids import IdChoiceField, IdMultipleChoiceField

from ..enrolment import ineligibility_reason
from ..models import QfDocument, QuotientRecord, TaxNoticeRule
from . import counter
from .documents import QuotientEntry
from .qf_compute import QfComputationError, fiscal_parts_qf, per_person_qf

FLAG_RE = re.compile(r"^[a-z0-9_-]{1,30}$")
MONTH_RE = re.compile(r"^\s*(?:(\d{4})-(\d{1,2})|(\d{1,2})/(\d{4}))\s*$")


class EurosField(forms.CharField):
    """An amount typed the French way (``1 250,50`` or ``3,40 €``) into a Decimal."""

    def __init__(self, *args, maximum=Decimal("10000000"), **kwargs):
        self.maximum = maximum
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = normalize_number(super().to_python(value) or "")
        if not value:
            return None
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise forms.ValidationError(
                "Écrivez un montant en euros, par exemple 1 250 ou 3,40."
            ) from None
        if not amount.is_finite() or amount < 0:
            raise forms.ValidationError("Le montant doit être positif ou nul.")
        if amount > self.maximum:
            raise forms.ValidationError("Ce montant semble trop élevé : vérifiez-le.")
        return amount


class MonthField(forms.CharField):
    """A month written ``01/2026`` or ``2026-01``, as its first day."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        match = MONTH_RE.match(value)
        if not match:
            raise forms.ValidationError("Écrivez le mois sous la forme 01/2026.")
        year, month = (
            (match.group(1), match.group(2))
            if match.group(1)
            else (match.group(4), match.group(3))
        )
        try:
            return datetime.date(int(year), int(month), 1)
        except ValueError:
            raise forms.ValidationError("Ce mois n'existe pas.") from None


def known_flags() -> list[str]:
    """The flags the barèmes test (RSA, CCAS…), so that agents set the right words."""
    words = {"rsa"}
    for model in (BaremeBracket, BaremeColumn):
        for text in model.objects.exclude(when_flags="").values_list(
            "when_flags", flat=True
        ):
            words.update(word.lower() for word in split_words(text))
    return sorted(words)


class QuotientEntryForm(forms.Form):
    """Record a QF: as written on an attestation, or computed from a tax notice."""

    METHOD_VALUE = "value"
    METHOD_TAX = "tax"

    method = forms.ChoiceField(
        label="Quotient familial",
        widget=forms.RadioSelect,
        choices=[
            (METHOD_VALUE, "Saisir le quotient indiqué sur l'attestation CAF ou MSA"),
            (METHOD_TAX, "Calculer le quotient depuis l'avis d'imposition"),
        ],
    )
    value = EurosField(
        label="Quotient familial (€)", required=False, maximum=Decimal(100000)
    )
    provider = forms.ChoiceField(
        label="Organisme",
        required=False,
        choices=[
            (QuotientRecord.Provider.CNAF, "CAF"),
            (QuotientRecord.Provider.MSA, "MSA"),
        ],
    )
    month = MonthField(
        label="Mois du quotient",
        required=False,
        help_text="Celui indiqué sur l'attestation, par exemple 01/2026.",
    )
    income_1 = EurosField(label="Revenu de l'avis (€)", required=False)
    income_2 = EurosField(
        label="Revenu du second avis (€)",
        required=False,
        help_text="Couple non marié ni pacsé : deux avis, leurs revenus s'additionnent.",
    )
    parts = EurosField(label="Nombre de parts fiscales", required=False)
    maintenance_paid = EurosField(
        label="Pensions alimentaires versées (€)", required=False
    )
    persons = forms.IntegerField(
        label="Personnes du foyer", required=False, min_value=1, max_value=20
    )
    tax_year = forms.IntegerField(
        label="Année de l'avis d'imposition",
        required=False,
        min_value=2000,
        max_value=2100,
    )
    flags = forms.MultipleChoiceField(
        label="Situations particulières",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Vérifiées sur pièce : elles ouvrent les lignes particulières des barèmes.",
    )
    other_flags = forms.CharField(
        label="Autres indicateurs",
        required=False,
        help_text="Mots en minuscules séparés par des espaces (ccas…).",
    )
    valid_until = forms.DateField(
        label="Valable jusqu'au",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Par défaut, la fin de l'année scolaire (31 août).",
    )

    def __init__(self, *args, rules, document: QfDocument | None = None, **kwargs):
        self.rules = rules
        self.document = document
        initial = kwargs.setdefault("initial", {})
        if document is not None:
            initial.setdefault(
                "method",
                self.METHOD_TAX
                if document.kind == QfDocument.Kind.TAX_NOTICE
                else self.METHOD_VALUE,
            )
        super().__init__(*args, **kwargs)
        self.fields["flags"].choices = [(flag, flag) for flag in known_flags()]
        self.per_person = rules.tax_notice_rule == TaxNoticeRule.PER_PERSON
        if self.per_person:
            self.fields["income_1"].label = "Revenus avant l'abattement de 10 % (€)"
            self.fields[
                "income_2"
            ].label = "Revenus du second avis, avant abattement (€)"
        else:
            self.fields["income_1"].label = "Revenu fiscal de référence (€)"
            self.fields[
                "income_2"
            ].label = "Revenu fiscal de référence du second avis (€)"

    def tax_fields(self):
        names = ["income_1", "income_2"]
        names += ["maintenance_paid", "persons"] if self.per_person else ["parts"]
        return [self[name] for name in [*names, "tax_year"]]

    def _require(self, cleaned, names):
        for name in names:
            if cleaned.get(name) in (None, ""):
                self.add_error(name, self.fields[name].error_messages["required"])

    def clean_other_flags(self):
        words = [word.lower() for word in split_words(self.cleaned_data["other_flags"])]
        for word in words:
            if not FLAG_RE.match(word):
                raise forms.ValidationError(
                    f"« {word} » : lettres minuscules, chiffres, - ou _ seulement."
                )
        return words

    def clean(self):
        cleaned = super().clean()
        method = cleaned.get("method")
        today = timezone.localdate()
        if method == self.METHOD_VALUE:
            self._require(cleaned, ["value", "provider", "month"])
            month = cleaned.get("month")
            if month:
                age = (today.year - month.year) * 12 + today.month - month.month
                if age < 0:
                    self.add_error("month", "Ce mois est dans le futur.")
                elif age > self.rules.attestation_max_age_months:
                    self.add_error(
                        "month",
                        "L'attestation doit dater de moins de "
                        f"{self.rules.attestation_max_age_months} mois : demandez-en "
                        "une plus récente à la famille.",
                    )
        elif method == self.METHOD_TAX:
            needed = ["income_1", "tax_year"]
            needed += ["persons"] if self.per_person else ["parts"]
            self._require(cleaned, needed)
            if not self.errors:
                try:
                    incomes = [cleaned["income_1"], cleaned.get("income_2")]
                    if self.per_person:
                        self.computed = per_person_qf(
                            incomes, cleaned.get("maintenance_paid"), cleaned["persons"]
                        )
                    else:
                        self.computed = fiscal_parts_qf(incomes, cleaned["parts"])
                except QfComputationError as error:
                    raise forms.ValidationError(str(error)) from None
        valid_until = cleaned.get("valid_until")
        if valid_until and valid_until < today:
            self.add_error("valid_until", "Cette date est passée.")
        return cleaned

    def entry(self) -> QuotientEntry:
        cleaned = self.cleaned_data
        flags = [*cleaned["flags"], *cleaned["other_flags"]]
        if cleaned["method"] == self.METHOD_VALUE:
            return QuotientEntry(
                value=cleaned["value"],
                provider=cleaned["provider"],
                month=cleaned["month"],
                flags=flags,
                valid_until=cleaned.get("valid_until"),
            )
        return QuotientEntry(
            value=self.computed.value,
            provider=QuotientRecord.Provider.TAX,
            month=timezone.localdate().replace(day=1),
            formula=self.computed.formula,
            tax_year=cleaned["tax_year"],
            flags=flags,
            valid_until=cleaned.get("valid_until"),
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Motif",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        help_text="Conservé dans l'historique.",
    )

    def __init__(self, *args, label=None, help_text=None, required=True, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["reason"].label = label
        if help_text:
            self.fields["reason"].help_text = help_text
        self.fields["reason"].required = required

    def clean_reason(self):
        return self.cleaned_data["reason"].strip()


class RejectForm(ReasonForm):
    def __init__(self, *args, **kwargs):
        super().__init__(
            *args,
            label="Motif du refus",
            help_text="Envoyé à la famille par courriel : dites ce qu'il faut envoyer.",
            **kwargs,
        )


class OverrideForm(ReasonForm):
    amount = EurosField(label="Nouveau tarif (€)")
    field_order = ["amount", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(
            *args,
            label="Motif de la correction",
            help_text="Obligatoire. Par exemple : décision du CCAS du 12 janvier.",
            **kwargs,
        )


class RepriceForm(ReasonForm):
    version = forms.ModelChoiceField(label="Barème à appliquer", queryset=None)
    fingerprint = forms.CharField(widget=forms.HiddenInput, required=False)
    field_order = ["version", "reason"]

    def __init__(self, *args, versions, **kwargs):
        super().__init__(
            *args,
            label="Motif",
            help_text="Par exemple : erreur de saisie de la tranche 2 corrigée.",
            required=False,
            **kwargs,
        )
        self.fields["version"].queryset = versions
        self.fields["version"].label_from_instance = lambda version: (
            f"{version.bareme.label} — version {version.number}"
        )


class CounterForm(forms.Form):
    """An agent at the desk: which children, which period, which QF."""

    children = IdMultipleChoiceField(
        label="Enfants", queryset=None, widget=forms.CheckboxSelectMultiple
    )
    period = IdChoiceField(label="Activité et période", queryset=None)
    qf_source = forms.ChoiceField(label="Quotient familial", widget=forms.RadioSelect)

    def __init__(self, *args, family, periods, **kwargs):
        super().__init__(*args, **kwargs)
        self.family = family
        self.fields["children"].queryset = family.children.all()
        self.fields["period"].queryset = periods
        self.fields["period"].label_from_instance = lambda period: (
            f"{period.activity.title} — {period.label}"
        )
        quotient = family.current_quotient()
        choices = []
        if quotient is not None:
            choices.append((counter.RECORD, f"Quotient enregistré : {quotient}"))
        choices += [
            (counter.DOCUMENT, "Justificatif remis, à vérifier : tarif provisoire"),
            (counter.NONE, "Sans quotient familial : tarif par défaut"),
        ]
        self.fields["qf_source"].choices = choices
        self.fields["qf_source"].initial = choices[0][0]

    def clean(self):
        cleaned = super().clean()
        period = cleaned.get("period")
        for child in cleaned.get("children") or []:
            if period is None:
                break
            reason = ineligibility_reason(period.activity, child, period)
            if reason:
                self.add_error("children", f"{child.first_name} : {reason}")
        return cleaned


class CapacityForm(ReasonForm):
    """An agent changes a period's number of places, with a reason."""

    capacity = forms.IntegerField(
        label="Nombre de places", min_value=0, max_value=100_000
    )
    field_order = ["capacity", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(
            *args,
            label="Motif",
            help_text="Conservé dans le journal des actions.",
            **kwargs,
        )
