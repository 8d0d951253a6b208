"""The forms of the enrolment wizard, one per step."""

from django import forms
from django.utils.html import format_html

from home.forms import PortalForm
from home.forms_fields import CommuneField, CountryField
from home.ids import IdChoiceField, IdMultipleChoiceField
from home.names import PersonNameFormField
from qf_connector import limits

from . import enrolment
from .models import QfDocument
from .uploads import validate_qf_upload

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SubmitButtonValue(forms.HiddenInput):
    """A value sent by the submit button the parent pressed, and by nothing else: no
    input of its own, or the browser would send its empty value beside the button's
    (and Django keeps the last one)."""

    def render(self, name, value, attrs=None, renderer=None):
        return ""


class ChildrenPeriodForm(PortalForm):
    """Step 1: which children, which period (with the places left)."""

    children = IdMultipleChoiceField(
        label="Enfants à inscrire",
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choisissez au moins un enfant."},
    )
    period = IdChoiceField(
        label="Période",
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Choisissez une période."},
    )

    def __init__(self, *args, family, activity, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.activity = activity
        self.today = today
        self.fields["children"].queryset = family.children.all()
        self.fields["children"].label_from_instance = lambda child: (
            f"{child.first_name} {child.last_name} (date de naissance : {child.birth_date:%d/%m/%Y})"
        )
        periods, self.untariffed_periods = enrolment.enrolment_windows(activity, today)
        self.fields["period"].queryset = periods
        self.fields["period"].label_from_instance = self._period_label

    @staticmethod
    def _period_label(period):
        left = enrolment.places_left(period)
        places = (
            "complet : inscription en liste d'attente"
            if left <= 0
            else f"{left} place{'s' if left > 1 else ''} restante{'s' if left > 1 else ''}"
        )
        return f"{period} — {places}"

    def clean(self):
        cleaned = super().clean()
        children = cleaned.get("children") or []
        period = cleaned.get("period")
        if not period:
            return cleaned
        problems = []
        enrolled = set(
            period.enrolments.active()
            .filter(child__in=children)
            .values_list("child_id", flat=True)
        )
        for child in children:
            reason = enrolment.ineligibility_reason(self.activity, child, period)
            if reason:
                problems.append(f"{child.first_name} : {reason}")
            elif child.pk in enrolled:
                problems.append(
                    f"{child.first_name} a déjà une inscription pour cette période."
                )
        if problems:
            raise forms.ValidationError(problems)
        return cleaned


class QfSourceForm(PortalForm):
    """Step 2: where the quotient familial comes from. For a parent signed in with
    FranceConnect, their FranceConnect identity comes first, and choosing it asks API
    Particulier at once (``lookup``: only when this very step is posted)."""

    REUSE, API, DOCUMENT, NONE = "reuse", "api", "document", "none"
    FRANCE_CONNECT = "franceconnect"

    source = forms.ChoiceField(
        label="Votre quotient familial",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez comment nous transmettre votre quotient."
        },
    )

    def __init__(
        self, *args, quotient=None, france_connect=False, lookup=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.lookup = lookup
        self.result = None
        self.error = None
        choices = []
        if france_connect:
            choices.append(
                (
                    self.FRANCE_CONNECT,
                    "Utiliser mon identité FranceConnect : la commune demande mon "
                    "quotient familial à la CAF ou à la MSA, sans rien saisir (immédiat)",
                )
            )
        if quotient is not None:
            choices.append(
                (
                    self.REUSE,
                    f"Utiliser mon quotient familial enregistré : {quotient.value:.0f} € "
                    f"({quotient.get_provider_display()}, {quotient.month:%m/%Y})",
                )
            )
        choices += [
            (self.API, "Le demander à la CAF ou à la MSA avec mon accord (immédiat)"),
            (
                self.DOCUMENT,
                "Envoyer un justificatif (attestation CAF/MSA ou avis d'imposition), "
                "vérifié par le service famille",
            ),
            (self.NONE, "Ne pas communiquer mon quotient familial (tarif par défaut)"),
        ]
        self.fields["source"].choices = choices
        self.fields["source"].initial = choices[0][0]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("source") == self.FRANCE_CONNECT and self.lookup is not None:
            self.result, self.error = self.lookup()
            if self.error is not None:
                self.add_error("source", self.error.message)
        return cleaned


class IdentityConsentForm(PortalForm):
    """Step 3: the allocataire's civil status, the consent, then the lookup itself."""

    FALLBACK_DOCUMENT, FALLBACK_NONE, FALLBACK_PROVISIONAL = (
        "document",
        "none",
        "provisional",
    )

    guardian = forms.ModelChoiceField(
        label="Qui est l'allocataire CAF ou MSA ?",
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
    )
    birth_name = PersonNameFormField(label="Nom de naissance", max_length=100)
    first_names = PersonNameFormField(
        label="Prénoms",
        max_length=200,
        help_text="Jusqu'à trois prénoms, dans l'ordre de l'état civil, séparés par des "
        "espaces (un prénom composé garde son trait d'union).",
    )
    sex = forms.ChoiceField(
        label="Sexe à l'état civil",
        choices=[("F", "Féminin"), ("M", "Masculin")],
        widget=forms.RadioSelect,
    )
    birth_date = forms.DateField(label="Date de naissance", widget=DATE_INPUT)
    birth_commune_code = CommuneField(
        label="Commune de naissance",
        required=False,
        require_arrondissement=True,
        help_text="Pour une naissance en France, par exemple « Orléans (45) ».",
    )
    birth_country_code = CountryField(
        label="Pays de naissance",
        required=False,
        help_text="Pour une naissance à l'étranger.",
    )
    consent = forms.BooleanField(
        label="J'accepte que la commune demande mon quotient familial à la CAF ou à la MSA "
        "pour calculer mes tarifs.",
        error_messages={
            "required": "Votre accord est nécessaire pour interroger la CAF ou la MSA. "
            "Sinon, choisissez d'envoyer un justificatif ou le tarif par défaut."
        },
    )
    fallback = forms.CharField(required=False, widget=SubmitButtonValue)

    def __init__(
        self, *args, family, lookup, offered=None, provisional_identity="", **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.lookup = lookup
        # The ways on the page showed (None: the page was never shown, nothing else is
        # offered than a document or the default price).
        self.offered = set(offered or (self.FALLBACK_DOCUMENT, self.FALLBACK_NONE))
        self.provisional_identity = provisional_identity
        self.result = None
        self.error = None
        guardians = family.guardians.all()
        self.fields["guardian"].queryset = guardians
        allocataire = next((g for g in guardians if g.is_allocataire), None) or (
            guardians[0] if guardians else None
        )
        if allocataire is not None and not self.is_bound:
            self.initial.update(
                guardian=allocataire.pk,
                birth_name=allocataire.birth_name,
                first_names=" ".join(allocataire.first_names),
                sex=allocataire.sex,
                birth_date=allocataire.birth_date,
                birth_commune_code=allocataire.birth_commune_code,
                birth_country_code=allocataire.birth_country_code,
            )
        if self.is_bound and self.data.get(self.add_prefix("fallback")):
            # The parent chose another path: nothing to check, nothing to look up.
            for field in self.fields.values():
                field.required = False

    @property
    def fallback_choice(self):
        return self.cleaned_data.get("fallback") or ""

    def clean(self):
        cleaned = super().clean()
        fallback = cleaned.get("fallback")
        if fallback and fallback not in self.offered:
            # A choice the page did not show (an old page, a forged form).
            self.add_error(
                None,
                "Ce choix n'est pas proposé : choisissez l'une des possibilités "
                "affichées sur cette page.",
            )
        elif fallback == self.FALLBACK_PROVISIONAL:
            self._check_provisional_identity(cleaned)
        if cleaned.get("fallback") or self.errors or self.lookup is None:
            return cleaned
        # The lookup runs here so that its outcome is shown on this step, with the
        # fields kept as typed.
        self.result, self.error = self.lookup(cleaned)
        if self.error is not None:
            if self.error.field:
                field = {
                    "birth_name": "birth_name",
                    "first_names": "first_names",
                    "sex": "sex",
                    "birth_date": "birth_date",
                    "birth_commune": "birth_commune_code",
                    "birth_country": "birth_country_code",
                }.get(self.error.field)
                if field:
                    self.add_error(field, self.error.message)
                    return cleaned
        return cleaned

    def _check_provisional_identity(self, cleaned):
        """The provisional tariff is offered for the identity whose lookup could not be
        answered, not for another one typed afterwards: the later retry would look up
        someone no limit counted."""
        typed = limits.identity_digest(
            cleaned.get("birth_name") or "",
            cleaned.get("first_names") or "",
            cleaned.get("sex") or "",
            cleaned.get("birth_date") or "",
        )
        if not typed or typed != self.provisional_identity:
            self.add_error(
                None,
                "Le tarif provisoire n'est proposé que pour l'identité que la CAF ou la "
                "MSA n'a pas pu vérifier : cliquez sur « Continuer » pour interroger la "
                "CAF ou la MSA avec ce que vous avez modifié.",
            )

    def is_valid(self):
        # A lookup that failed on no field keeps the parent on this step, but is no error
        # of what was typed: the step shows it once, above the other paths it offers,
        # not again in the form's error summary.
        return super().is_valid() and self.error is None


class DocumentForm(PortalForm):
    """Step 3 bis: a document the service family checks."""

    kind = forms.ChoiceField(
        label="Type de justificatif",
        choices=QfDocument.Kind.choices,
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label="Fichier",
        help_text="PDF, JPEG ou PNG, 5 Mo au plus. Une photo lisible du document suffit.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.content_type = validate_qf_upload(upload)
        return upload


class PriceForm(PortalForm):
    """Step 4: the price of each child and why; nothing to type."""


class ConfirmForm(PortalForm):
    """Step 5: the parent confirms."""

    accept = forms.BooleanField(
        label="Je confirme l'inscription et j'accepte le règlement des activités.",
        error_messages={"required": "Cochez la case pour confirmer l'inscription."},
    )

    def __init__(self, *args, rules_url=None, **kwargs):
        super().__init__(*args, **kwargs)
        if rules_url:
            # Beside the box, not inside its label: a link in a label is a trap to click.
            self.fields["accept"].help_text = format_html(
                '<a href="{}" target="_blank" rel="noopener">Lire le règlement des '
                'activités<span class="visually-hidden"> (nouvel onglet)</span></a>',
                rules_url,
            )


def consent_text(commune_name):
    return format_html(
        "<p>Avec votre accord, <strong>{}</strong> demande à la CAF ou à la MSA, par "
        "API Particulier, votre <strong>quotient familial</strong> : sa valeur, le mois "
        "auquel il correspond et l'organisme. Nous n'en gardons rien d'autre : ni vos "
        "revenus, ni votre adresse. Il sert uniquement à calculer vos tarifs, comme le "
        "prévoit la délibération du conseil municipal (article L114-8 du code des "
        "relations entre le public et l'administration).</p>"
        "<p>Vous pouvez refuser : envoyez alors un justificatif, ou choisissez le tarif "
        "par défaut.</p>",
        commune_name,
    )
