"""Ids read from requests (URLs, query strings, form fields): one way to parse them.

A database id is a positive 64-bit integer, a reference a UUID. Anything else sent by
a browser ("abc", a 50-digit number SQLite cannot even compare, "²" that str.isdigit()
accepts) is no id at all: the caller answers 404, or the form field says the choice is
not valid, and the database is never asked.
"""

from __future__ import annotations

import uuid

from django import forms
from django.http import Http404

# The largest value of a 64-bit signed integer column (BigAutoField, SQLite INTEGER).
MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    """The positive database id `value` spells in ASCII digits, or None."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value if value is not None else "").strip()
        if not text or len(text) > 19 or not (text.isascii() and text.isdigit()):
            return None
        number = int(text)
    return number if 0 < number <= MAX_ID else None


def parse_uuid(value) -> uuid.UUID | None:
    """The UUID `value` spells, or None."""
    try:
        return uuid.UUID(str(value).strip())
    except (ValueError, TypeError, AttributeError):
        return None


def id_or_404(value) -> int:
    number = parse_id(value)
    if number is None:
        raise Http404("Identifiant invalide.")
    return number


def _checked_id(field, value):
    """The id the field may look up, or the field's own "invalid choice" error."""
    if isinstance(value, field.queryset.model):
        return value
    if (field.to_field_name or "pk") == "pk" and parse_id(value) is None:
        raise forms.ValidationError(
            field.error_messages["invalid_choice"],
            code="invalid_choice",
            params={"value": value},
        )
    return value


class IdChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField that never sends the database an id it cannot hold."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        return super().to_python(_checked_id(self, value))


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField that never sends the database an id it cannot hold."""

    def _check_values(self, value):
        try:
            values = list(value)
        except TypeError:
            values = []
        for item in values:
            _checked_id(self, item)
        return super()._check_values(value)


def integer_lookup_values_ok(model, lookup: str, value) -> bool:
    """Whether `value`, filtering `model` by `lookup` (as in an admin list's query
    string: "period__id__exact", "period__activity_id__in"), fits the integer column
    it compares with; True for lookups on other kinds of fields."""
    from django.core.exceptions import FieldDoesNotExist
    from django.db import models

    field = None
    for part in lookup.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            if part == "isnull":
                return True
            break  # a lookup name ("exact", "in", "gte"): compared with `field`
        if field.is_relation and field.related_model is not None:
            # A relation compares its target's key (a family's id, a page's id).
            model = field.related_model
            field = model._meta.pk
            while field.is_relation:  # a page's key is its Page's key
                field = field.target_field
    if not isinstance(field, models.IntegerField | models.AutoField):
        return True
    values = value if isinstance(value, list | tuple) else [value]
    for item in values:
        text = str(item).strip()
        if text.startswith("-"):
            text = text[1:]
        if not text or len(text) > 19 or not (text.isascii() and text.isdigit()):
            return False
        if int(text) > MAX_ID:
            return False
    return True
