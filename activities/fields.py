"""Model and form fields of the barèmes: decimals kept as the délibération's text, prices
by column, and the French way of writing numbers. Imports no model: forms use it too."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

DECIMAL_TEXT_VALIDATOR = RegexValidator(
    r"^-?[0-9]+(\.[0-9]+)?$",
    _("Écrivez un nombre, avec une virgule ou un point pour les décimales (3,30)."),
)


def normalize_number(text: str) -> str:
    """A number written the French way (``1 000,50 €``) as a decimal string (``1000.50``)."""
    for character in (" ", "\u00a0", "\u202f", "€"):
        text = text.replace(character, "")
    return text.replace(",", ".")


class DecimalTextFormField(forms.CharField):
    """Accepts the French way of writing a number: ``3,30``, ``1 000``, ``3,30 €``."""

    def to_python(self, value):
        return normalize_number(super().to_python(value))


class DecimalTextField(models.CharField):
    """A decimal kept as the exact text of the délibération (``3.30`` stays ``3.30``).

    Exports must give back the very document that was imported, which a
    ``DecimalField`` with fixed decimal places would not (``308`` would become ``308.00``).
    """

    default_validators = [DECIMAL_TEXT_VALIDATOR]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 24)
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": DecimalTextFormField, **kwargs})


class ColumnPricesFormField(forms.CharField):
    """One line per column, ``clé : prix``, read into ``{"clé": "prix"}``."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        if isinstance(value, dict):
            return "\n".join(f"{key} : {price}" for key, price in value.items())
        return value

    def to_python(self, value):
        prices = {}
        for line in (super().to_python(value) or "").splitlines():
            if not line.strip():
                continue
            key, separator, price = line.partition(":")
            key = key.strip()
            price = DecimalTextFormField().to_python(price)
            if (
                not separator
                or not key
                or not DECIMAL_TEXT_VALIDATOR.regex.match(price)
            ):
                raise ValidationError(
                    _("Ligne « %(line)s » : écrivez « clé de colonne : prix »."),
                    code="invalid",
                    params={"line": line.strip()},
                )
            if key in prices:
                raise ValidationError(
                    _("La colonne « %(key)s » a deux prix."),
                    code="duplicate",
                    params={"key": key},
                )
            prices[key] = price
        return prices


class ColumnPricesField(models.JSONField):
    """A bracket's prices by column key, edited as ``clé : prix`` lines."""

    def formfield(self, **kwargs):
        options = {
            "required": not self.blank,
            "label": capfirst(self.verbose_name),
            "help_text": self.help_text,
        }
        if "widget" in kwargs:
            options["widget"] = kwargs["widget"]
        return ColumnPricesFormField(**options)


def split_words(text: str) -> list[str]:
    return [word for word in re.split(r"[\s,;]+", text.strip()) if word]
