"""Forms of the family space: the family and its address, guardians, children."""

from django import forms
from django.utils.translation import gettext_lazy as _

from home.forms import PortalForm, PortalModelForm
from home.forms_fields import CommuneField, CountryField

from .child_photos import resized_photo
from .models import Child, Family, Guardian

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FamilyForm(PortalModelForm):
    class Meta:
        model = Family
        fields = ["name", "street", "postcode", "city"]
        help_texts = {
            "name": _(
                "Le nom sous lequel la commune vous connaît, par exemple « Famille Giraud »."
            ),
            "postcode": _("5 chiffres."),
        }
        widgets = {
            "street": forms.TextInput(attrs={"autocomplete": "street-address"}),
            "postcode": forms.TextInput(
                attrs={"autocomplete": "postal-code", "inputmode": "numeric"}
            ),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("street", "postcode", "city"):
            self.fields[name].required = True


def _certified_value(value):
    return value


class GuardianForm(PortalModelForm):
    birth_commune_code = CommuneField(
        label=_("Commune de naissance"),
        required=False,
        require_arrondissement=True,
        help_text=_("Pour une naissance en France, par exemple « Orléans (45) »."),
    )
    birth_country_code = CountryField(
        label=_("Pays de naissance"),
        required=False,
        help_text=_("Pour une naissance à l'étranger."),
    )

    class Meta:
        model = Guardian
        fields = [
            "birth_name",
            "usage_name",
            "first_name",
            "second_first_name",
            "third_first_name",
            "sex",
            "birth_date",
            "born_abroad",
            "birth_commune_code",
            "birth_country_code",
            "email",
            "phone",
            "is_allocataire",
        ]
        widgets = {
            "birth_date": DATE_INPUT,
            "sex": forms.RadioSelect,
            "birth_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        }
        help_texts = {
            "birth_name": _("Tel qu'il figure sur votre acte de naissance."),
            "usage_name": _(
                "Par exemple le nom d'époux ou d'épouse, s'il est différent."
            ),
            "first_name": _("Dans l'ordre de l'état civil."),
            "birth_commune_code": _(
                "Pour une naissance en France : le code INSEE de la commune."
            ),
            "birth_country_code": _(
                "Pour une naissance à l'étranger : le code INSEE du pays."
            ),
        }

    CERTIFIED_HELP = _(
        "Certifié FranceConnect : ne peut pas être modifié ici. Une erreur ? "
        "Adressez-vous au service famille."
    )

    def __init__(self, *args, certified=None, **kwargs):
        """``certified``: a civil status certified by FranceConnect for a new guardian
        (family_portal/franceconnect/identity.py); a certified guardian's own is
        read-only too. Read-only fields ignore whatever is posted for them."""
        super().__init__(*args, **kwargs)
        if certified is None and not self.instance.is_certified:
            return
        if certified is not None:
            self.initial.update(certified)
        for name in Guardian.CERTIFIED_FIELDS:
            if name in self.fields:
                field = self.fields[name]
                field.disabled = True
                field.help_text = self.CERTIFIED_HELP
                # The certified value as it is: a commune's code is not read again
                # as something typed (59226 is also a postcode).
                field.clean = _certified_value


class ChildForm(PortalModelForm):
    class Meta:
        model = Child
        fields = [
            "first_name",
            "last_name",
            "birth_date",
            "school_level",
            "school",
            "diet",
            "diet_details",
            "health_notes",
        ]
        widgets = {
            "birth_date": DATE_INPUT,
            "health_notes": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "diet": _(
                "Pour les repas de la cantine et du centre de loisirs. Une allergie "
                "alimentaire suivie par un PAI : choisissez « PAI alimentaire »."
            ),
        }


class ChildPhotoForm(PortalForm):
    photo = forms.FileField(
        label=_("Nouvelle photo"),
        help_text=_(
            "JPEG ou PNG, 5 Mo au plus. Elle aide l'équipe d'animation à reconnaître "
            "votre enfant ; elle est réduite et n'est montrée qu'au service famille et "
            "aux animateurs du lieu qui l'accueille."
        ),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
    )

    def clean_photo(self):
        # Checked and resized here, so that an error shows beside the field.
        return resized_photo(self.cleaned_data["photo"])
