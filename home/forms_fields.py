"""Form fields for a commune or a country (of birth, of residence) typed as text, not as a code.

The parent types `Orléans (45)`, `orleans 45000` or picks a suggestion; the field cleans it to
the INSEE code API Particulier wants. Suggestions come from a `<datalist>` that
static/js/commune-autocomplete.js fills; without JavaScript the server does the same work and
says, in French, what to add when the text is not enough.
"""

from django import forms
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import communes

SCRIPT = "js/commune-autocomplete.js"


def _join_or(items: list[str]) -> str:
    """`11, 30, 93 ou 974`."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {gettext('ou')} {items[-1]}"


def commune_hint(commune: communes.Commune) -> str:
    """A few words that tell homonyms apart in a list of suggestions."""
    parent = communes.parent(commune)
    if commune.kind is communes.CommuneKind.DELEGUEE and parent:
        return gettext("commune déléguée, rattachée à %(parent)s") % {
            "parent": parent.label
        }
    if commune.kind is communes.CommuneKind.ASSOCIEE and parent:
        return gettext("commune associée, rattachée à %(parent)s") % {
            "parent": parent.label
        }
    if commune.kind is communes.CommuneKind.ARRONDISSEMENT:
        return gettext("arrondissement municipal")
    postcodes = list(commune.postcodes[:3]) + (
        ["…"] if len(commune.postcodes) > 3 else []
    )
    return ", ".join(postcodes)


def country_hint(country: communes.Country) -> str:
    return "" if country.current else gettext("État qui n’existe plus")


class PlaceInput(forms.TextInput):
    """A text input tied to an empty `<datalist>` that the autocomplete script fills.

    `source` names the JSON endpoint (`communes:search`); when the URL is not wired the input
    simply has no suggestions.
    """

    def __init__(self, source: str, attrs=None):
        super().__init__(attrs)
        self.source = source

    @property
    def media(self):
        return forms.Media(js=[forms.Script(SCRIPT, defer=True)])

    def _list_id(self, name: str, attrs) -> str:
        return f"{(attrs or {}).get('id') or 'id_' + name}-suggestions"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        widget_attrs["list"] = self._list_id(name, widget_attrs)
        try:
            widget_attrs["data-autocomplete-url"] = reverse(self.source)
        except NoReverseMatch:
            pass
        return context

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        list_id = self._list_id(name, self.build_attrs(self.attrs, attrs))
        return format_html('{}<datalist id="{}"></datalist>', html, list_id)


class CommuneField(forms.CharField):
    """A French commune, typed as text; cleans to its COG code (`45234`, `2A004`, `75115`).

    Accepts a COG code, `Orléans (45)`, `Orléans 45000`, `Orléans 45`, `Paris 15`, or a name
    alone when it is unique in France. Communes déléguées and associées (merged since) are
    accepted with their own codes, since a parent may have been born in one.

    `require_arrondissement`: refuse `Paris`, `Lyon`, `Marseille` without the arrondissement;
    set it for a place of birth, which civil registers record by arrondissement.
    """

    default_error_messages = {
        "not_found": _(
            "Nous ne trouvons pas cette commune. Vérifiez l’orthographe, ajoutez le "
            "département, par exemple « Orléans (45) », ou choisissez-la dans la liste proposée."
        ),
        "not_found_suggestions": _(
            "Nous ne trouvons pas cette commune. Vouliez-vous dire : %(suggestions)s ?"
        ),
        "ambiguous": _(
            "Plusieurs communes portent ce nom : précisez le département (%(departments)s)."
        ),
        "ambiguous_choices": _(
            "Plusieurs communes portent ce nom : choisissez-en une (%(choices)s)."
        ),
        "arrondissement": _("Précisez l’arrondissement, par exemple « %(example)s »."),
    }

    def __init__(
        self,
        *,
        require_arrondissement: bool = False,
        autocomplete: str = "off",
        **kwargs,
    ):
        self.require_arrondissement = require_arrondissement
        kwargs.setdefault("max_length", 120)
        kwargs.setdefault("widget", PlaceInput("communes:search"))
        super().__init__(**kwargs)
        # `address-level2` for a commune of residence lets browsers fill it in.
        self.widget.attrs.setdefault("autocomplete", autocomplete)
        self.widget.attrs.setdefault("spellcheck", "false")

    def prepare_value(self, value):
        # A stored code shows as what a parent would have typed.
        if isinstance(value, str) and communes.COMMUNE_CODE_RE.match(value):
            commune = communes.by_code(value)
            if commune is not None:
                return communes.unique_label(commune)
        return value

    def clean(self, value):
        text = super().clean(value)
        if text in self.empty_values:
            return ""
        result = communes.resolve_text(text)
        if isinstance(result, communes.Ambiguous):
            raise self._ambiguous(result)
        if isinstance(result, communes.NotFound):
            if result.suggestions:
                raise forms.ValidationError(
                    self.error_messages["not_found_suggestions"],
                    code="not_found",
                    params={
                        "suggestions": _join_or(
                            [communes.unique_label(c) for c in result.suggestions[:3]]
                        )
                    },
                )
            raise forms.ValidationError(
                self.error_messages["not_found"], code="not_found"
            )
        if self.require_arrondissement and (parts := communes.arrondissements(result)):
            raise forms.ValidationError(
                self.error_messages["arrondissement"],
                code="arrondissement",
                params={"example": parts[0].label},
            )
        return result.code

    def _ambiguous(self, result: communes.Ambiguous) -> forms.ValidationError:
        departments = result.departments
        if len(departments) == len(result.candidates):
            return forms.ValidationError(
                self.error_messages["ambiguous"],
                code="ambiguous",
                params={"departments": _join_or(list(departments))},
            )
        # Same name in one department, or a postcode that serves several communes.
        return forms.ValidationError(
            self.error_messages["ambiguous_choices"],
            code="ambiguous",
            params={
                "choices": _join_or(
                    [communes.unique_label(c) for c in result.candidates[:6]]
                )
            },
        )


class CountryField(forms.CharField):
    """A country, typed as text; cleans to its INSEE code (`99109`; `99100` for France)."""

    default_error_messages = {
        "not_found": _(
            "Nous ne trouvons pas ce pays. Vérifiez l’orthographe, ou choisissez-le dans la "
            "liste proposée."
        ),
        "not_found_suggestions": _(
            "Nous ne trouvons pas ce pays. Vouliez-vous dire : %(suggestions)s ?"
        ),
        "ambiguous": _("Plusieurs pays portent ce nom : précisez (%(choices)s)."),
    }

    def __init__(self, *, autocomplete: str = "off", **kwargs):
        kwargs.setdefault("max_length", 80)
        kwargs.setdefault("widget", PlaceInput("communes:countries"))
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("autocomplete", autocomplete)
        self.widget.attrs.setdefault("spellcheck", "false")

    def prepare_value(self, value):
        if isinstance(value, str) and communes.COUNTRY_CODE_RE.match(value):
            country = communes.country_by_code(value)
            if country is not None:
                return country.name
        return value

    def clean(self, value):
        text = super().clean(value)
        if text in self.empty_values:
            return ""
        result = communes.resolve_country(text)
        if isinstance(result, communes.Ambiguous):
            raise forms.ValidationError(
                self.error_messages["ambiguous"],
                code="ambiguous",
                params={"choices": _join_or([c.name for c in result.candidates])},
            )
        if isinstance(result, communes.NotFound):
            if result.suggestions:
                raise forms.ValidationError(
                    self.error_messages["not_found_suggestions"],
                    code="not_found",
                    params={
                        "suggestions": _join_or(
                            [c.name for c in result.suggestions[:3]]
                        )
                    },
                )
            raise forms.ValidationError(
                self.error_messages["not_found"], code="not_found"
            )
        return result.code
