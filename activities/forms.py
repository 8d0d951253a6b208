"""Forms of the activities app: the barème admin form, the activity filter, the simulator."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms
from django.apps import apps
from django.db.models.deletion import Collector, ProtectedError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm, WagtailAdminPageForm

from home.forms import PortalForm

from .choices import ActivityCategory, PricingModel
from .fields import normalize_number
from .pricing import PricingError, Quote, Situation, validate_document
from .pricing.formatting import format_money

# Where a problem's path points in the admin form: document key → form field.
TOP_LEVEL_FIELDS = {
    "id": "slug",
    "label": "label",
    "unit": "unit",
    "valid_from": "valid_from",
    "valid_until": "valid_until",
    "qf_rounding": "qf_rounding",
    "model": "pricing_model",
    "deliberation": "deliberation_reference",
    "deliberation.reference": "deliberation_reference",
    "deliberation.date": "deliberation_date",
    "deliberation.url": "deliberation_url",
    "effort_rate": "effort_rate",
    "effort_rate.rate": "effort_rate",
    "effort_rate.floor": "effort_floor",
    "effort_rate.ceiling": "effort_ceiling",
    "no_qf": "no_qf_mode",
    "no_qf.mode": "no_qf_mode",
    "no_qf.price": "no_qf_price",
    "non_resident": "non_resident_mode",
    "non_resident.mode": "non_resident_mode",
    "non_resident.price": "non_resident_value",
    "non_resident.factor": "non_resident_value",
    "non_resident.amount": "non_resident_value",
    "siblings.applies_to": "siblings_applies_to",
    "rounding.step": "rounding_step",
    "rounding.mode": "rounding_mode",
}
CONDITION_FIELDS = {
    "residence": "when_residence",
    "child_rank": "when_rank_min",
    "regime": "when_regime",
    "flags": "when_flags",
}
ROW_FIELDS = {
    "columns": {"key": "key", "label": "label", **CONDITION_FIELDS},
    "brackets": {
        "label": "label",
        "min": "min_value",
        "min_included": "min_included",
        "max": "max_value",
        "max_included": "max_included",
        "price": "price",
        "prices": "prices",
        **CONDITION_FIELDS,
    },
    "sibling_reductions": {"from_rank": "from_rank", "percent": "percent"},
}
ROW_PATH = re.compile(r"(columns|brackets|siblings\.reductions)\[(\d+)\]\.?(.*)")
RATE_PATH = re.compile(r"effort_rate\.([^.]+)\.?(.*)")


class BaremeAdminForm(WagtailAdminModelForm):
    """Checks the whole barème with the pricing engine and puts each problem in place."""

    def is_valid(self):
        if not super().is_valid():
            return False
        rows = {name: self._rows(name) for name in ROW_FIELDS}
        document = self.instance.to_document(
            [form.instance for form in rows["columns"]],
            [form.instance for form in rows["brackets"]],
            [form.instance for form in rows["sibling_reductions"]],
        )
        ignored = self._check_ignored_input(rows)
        problems = validate_document(document)
        for problem in problems:
            self._place(problem, rows)
        return not (problems or ignored)

    def _check_ignored_input(self, rows) -> bool:
        """Refuse what the chosen layout would silently drop; True if anything was."""
        bareme = self.instance
        has_columns = bool(rows["columns"])
        by_rate = bareme.pricing_model == PricingModel.EFFORT_RATE
        errors = []
        if by_rate and rows["brackets"]:
            errors.append(
                (
                    self,
                    None,
                    _(
                        "Un barème au taux d'effort n'a pas de tranches : "
                        "supprimez-les ou choisissez la grille par tranches."
                    ),
                )
            )
        rate_fields = ("effort_rate", "effort_floor", "effort_ceiling")
        if has_columns or not by_rate:
            reason = (
                _("Avec des colonnes, le taux d'effort se règle sur chaque colonne.")
                if by_rate
                else _("Seulement pour un barème au taux d'effort.")
            )
            errors += [(self, f, reason) for f in rate_fields if getattr(bareme, f)]
        if not by_rate:
            errors += [
                (form, f, _("Seulement pour un barème au taux d'effort."))
                for form in rows["columns"]
                for f in rate_fields
                if getattr(form.instance, f)
            ]
        for form in rows["brackets"]:
            if has_columns and form.instance.price:
                errors.append(
                    (
                        form,
                        "price",
                        _("Avec des colonnes, donnez les prix par colonne."),
                    )
                )
            if not has_columns and form.instance.prices:
                errors.append(
                    (
                        form,
                        "prices",
                        _("Sans colonnes, donnez un seul prix par tranche."),
                    )
                )
        for form, field, message in errors:
            form.add_error(field, message)
        return bool(errors)

    def _rows(self, name):
        """The kept forms of an inline panel, in the order the editor gave them."""
        formset = self.formsets[name]
        kept = [
            form
            for form in formset.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        return sorted(kept, key=lambda form: form.cleaned_data.get("ORDER") or 0)

    def _place(self, problem, rows):
        message = problem.message[:1].upper() + problem.message[1:]
        field = TOP_LEVEL_FIELDS.get(problem.path)
        if field is not None:
            self.add_error(field, message)
            return
        match = ROW_PATH.fullmatch(problem.path)
        if match:
            name = (
                "sibling_reductions" if match[1] == "siblings.reductions" else match[1]
            )
            forms_of_rows = rows[name]
            index = int(match[2])
            if index < len(forms_of_rows):
                part = match[3].split(".")
                if part[0] == "when" and len(part) > 1:
                    part = part[1:]
                field = ROW_FIELDS[name].get(part[0])
                forms_of_rows[index].add_error(field, message)
                return
        match = RATE_PATH.fullmatch(problem.path)
        if match:
            for form in rows["columns"]:
                if form.instance.key == match[1]:
                    field = {"floor": "effort_floor", "ceiling": "effort_ceiling"}
                    form.add_error(field.get(match[2], "effort_rate"), message)
                    return
        self.add_error(None, f"{message} ({problem.path})" if problem.path else message)


class ActivityFilterForm(PortalForm):
    """The filters of the activity list, sent with GET so they work without JavaScript."""

    categorie = forms.ChoiceField(
        label=_("Catégorie"),
        required=False,
        choices=[("", _("Toutes les catégories")), *ActivityCategory.choices],
    )
    age = forms.IntegerField(
        label=_("Âge de l'enfant"),
        required=False,
        min_value=0,
        max_value=25,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": _("Indiquez l'âge en années, par exemple 7."),
            "min_value": _("L'âge ne peut pas être négatif."),
            "max_value": _("Indiquez un âge de 25 ans au plus."),
        },
    )

    def filter(self, activities):
        category = self.cleaned_data.get("categorie")
        age = self.cleaned_data.get("age")
        if category:
            activities = activities.filter(category=category)
        if age is not None:
            activities = activities.exclude(age_min__gt=age).exclude(age_max__lt=age)
        return activities


class QuotientField(forms.CharField):
    """A QF typed the French way (``1 250,50``) into a ``Decimal``."""

    def to_python(self, value):
        value = normalize_number(super().to_python(value))
        if not value:
            return None
        try:
            quotient = Decimal(value)
        except InvalidOperation:
            raise forms.ValidationError(
                _(
                    "Indiquez votre quotient familial en euros, par exemple 712 ou 712,50."
                ),
                code="invalid",
            ) from None
        if not quotient.is_finite():
            raise forms.ValidationError(_("Ce quotient familial n'est pas un nombre."))
        if quotient < 0:
            raise forms.ValidationError(
                _("Le quotient familial ne peut pas être négatif."), code="negative"
            )
        if quotient > 100_000:
            raise forms.ValidationError(
                _("Ce quotient familial semble trop élevé : vérifiez-le."),
                code="too_high",
            )
        return quotient


@dataclass(frozen=True)
class Simulation:
    title: str
    quote: Quote | None
    error: str = ""

    @property
    def amount_display(self) -> str:
        return "" if self.quote is None else format_money(self.quote.amount)


class PriceSimulatorForm(PortalForm):
    """What a parent tells the simulator; nothing is stored."""

    qf = QuotientField(
        label=_("Votre quotient familial (en euros)"),
        required=False,
        help_text=_(
            "Il figure sur votre attestation CAF ou MSA, ou dans votre espace en ligne."
        ),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    sans_qf = forms.BooleanField(
        label=_("Je ne communique pas mon quotient familial"), required=False
    )
    residence = forms.ChoiceField(
        label=_("Vous habitez"),
        choices=[
            ("resident", _("dans la commune")),
            ("non_resident", _("hors de la commune")),
        ],
        initial="resident",
        widget=forms.RadioSelect,
    )
    rang = forms.TypedChoiceField(
        label=_("Rang de l'enfant parmi vos enfants inscrits"),
        coerce=int,
        choices=[
            (1, _("1er enfant (ou enfant unique)")),
            (2, _("2e enfant")),
            (3, _("3e enfant")),
            (4, _("4e enfant ou suivant")),
        ],
        initial=1,
    )

    def clean(self):
        cleaned = super().clean()
        qf, without_qf = cleaned.get("qf"), cleaned.get("sans_qf")
        if "qf" in self.errors:
            return cleaned
        if qf is None and not without_qf:
            self.add_error(
                "qf",
                _(
                    "Indiquez votre quotient familial, ou cochez « Je ne communique "
                    "pas mon quotient familial »."
                ),
            )
        elif qf is not None and without_qf:
            self.add_error(
                "qf",
                _(
                    "Indiquez votre quotient familial ou cochez « Je ne communique pas "
                    "mon quotient familial », pas les deux."
                ),
            )
        return cleaned

    def situation(self) -> Situation:
        return Situation(
            qf=None if self.cleaned_data["sans_qf"] else self.cleaned_data["qf"],
            residence=self.cleaned_data["residence"],
            child_rank=self.cleaned_data["rang"],
        )

    def simulate(self, versions) -> list[Simulation]:
        """A quote for each (title, barème version); a barème may refuse the situation."""
        situation = self.situation()
        results = []
        for title, version in versions:
            try:
                results.append(Simulation(title, version.quote(situation)))
            except PricingError as error:
                results.append(Simulation(title, None, error.message))
        return results


class ActivityPageForm(WagtailAdminPageForm):
    """Refuses to remove a period that other records (enrolments) still point to, and
    to link a barème in force on none of the periods' dates: a price must rest on a
    délibération in force (ActivityPage.pricing_version)."""

    def clean(self):
        cleaned = super().clean()
        self._check_deleted_periods()
        self._check_bareme_dates()
        return cleaned

    def _kept(self, name):
        """The cleaned, kept forms of an inline panel (cleaned here if not yet)."""
        formset = self.formsets.get(name)
        if formset is None:
            return []
        formset.errors  # noqa: B018 - runs the formset's clean once
        return [
            form
            for form in formset.forms
            if getattr(form, "cleaned_data", None)
            and not form.cleaned_data.get("DELETE")
        ]

    def _check_bareme_dates(self):
        periods = [
            form.cleaned_data
            for form in self._kept("periods")
            if form.cleaned_data.get("start") and form.cleaned_data.get("end")
        ]
        links = [
            form
            for form in self._kept("bareme_links")
            if form.cleaned_data.get("bareme")
        ]
        if not periods or not links:
            return
        # The version model through the registry: the page models import this module.
        version_model = apps.get_model("activities", "BaremeVersion")
        versions = {
            version.bareme_id: version
            for version in version_model.objects.latest_per_bareme().filter(
                bareme__in=[form.cleaned_data["bareme"] for form in links]
            )
        }
        for form in links:
            version = versions.get(form.cleaned_data["bareme"].pk)
            if version is None or any(
                version.pricing.covers(period["start"], period["end"])
                for period in periods
            ):
                continue
            form.add_error(
                "bareme",
                _(
                    "Ce barème est valable %(validity)s : il ne couvre aucune période "
                    "de l'activité (%(periods)s). Un tarif doit reposer sur une "
                    "délibération en vigueur : liez le barème voté pour ces dates."
                )
                % {
                    "validity": version.pricing.validity_display,
                    "periods": "; ".join(
                        f"{period['label']} : du {period['start']:%d/%m/%Y} au "
                        f"{period['end']:%d/%m/%Y}"
                        for period in periods
                    ),
                },
            )

    def _check_deleted_periods(self):
        periods = self.formsets.get("periods")
        for form in getattr(periods, "deleted_forms", []):
            period = form.instance
            if period.pk is None:
                continue
            try:
                Collector(using="default").collect([period])
            except ProtectedError:
                self.add_error(
                    None,
                    _(
                        "La période « %(label)s » a des inscriptions : elle ne peut pas "
                        "être supprimée. Fermez plutôt ses inscriptions."
                    )
                    % {"label": period.label},
                )
