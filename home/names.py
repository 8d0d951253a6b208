"""People's names as typed: normalised (NFC, ordinary spaces) and refused when they
hold a character nobody sees or one that changes the direction of the text.

``Eve\u202egnp.exe`` prints reversed on a certificate, and a zero-width space makes
``Gi\u200braud`` a name no agent's search finds. One rule for every name: the family
space's and the back-office's forms (``PersonNameField`` on the models), the
enrolment wizard's identity, and the identity sent to API Particulier
(``qf_connector.identity``).
"""

from __future__ import annotations

import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

# Unicode general categories refused in a name: control characters (Cc), format
# characters (Cf: the bidirectional controls U+202A–U+202E and U+2066–U+2069, the
# marks U+200E/U+200F/U+061C, zero-width space, joiners, word joiner, BOM, soft
# hyphen…), line and paragraph separators, private use, surrogates, unassigned.
REFUSED_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"}
# Invisible characters of other categories: the Hangul fillers (Lo), the braille blank
# (So), the combining grapheme joiner (Mn), and the invisible operators' neighbours.
INVISIBLE = {
    "\u034f",  # COMBINING GRAPHEME JOINER
    "\u115f",  # HANGUL CHOSEONG FILLER
    "\u1160",  # HANGUL JUNGSEONG FILLER
    "\u17b4",  # KHMER VOWEL INHERENT AQ
    "\u17b5",  # KHMER VOWEL INHERENT AA
    "\u180e",  # MONGOLIAN VOWEL SEPARATOR
    "\u2800",  # BRAILLE PATTERN BLANK
    "\u3164",  # HANGUL FILLER
    "\uffa0",  # HALFWIDTH HANGUL FILLER
    *(chr(code) for code in range(0xFE00, 0xFE10)),  # variation selectors
}

_SPACES = re.compile(" {2,}")
MESSAGE = (
    "Ce nom contient un caractère invisible ou qui inverse le sens du texte "
    "(%(characters)s) : retapez-le sans copier-coller."
)


def normalise(value: str) -> str:
    """NFC, every kind of space as an ordinary one, no space at the ends or doubled."""
    value = unicodedata.normalize("NFC", str(value))
    spaced = "".join(
        " " if unicodedata.category(char) == "Zs" else char for char in value
    )
    return _SPACES.sub(" ", spaced).strip(" ")


def forbidden_characters(value: str) -> list[str]:
    """The characters of ``value`` a name must not hold, as ``U+202E`` codes."""
    found = []
    for char in str(value):
        if char in INVISIBLE or unicodedata.category(char) in REFUSED_CATEGORIES:
            code = f"U+{ord(char):04X}"
            if code not in found:
                found.append(code)
    return found


def problem(value: str) -> str | None:
    """The French message for a name that must be refused, or None."""
    found = forbidden_characters(value)
    if not found:
        return None
    return MESSAGE % {"characters": ", ".join(found)}


def validate_person_name(value: str) -> None:
    message = problem(value)
    if message:
        raise ValidationError(message, code="invisible_character")


class PersonNameFormField(forms.CharField):
    """A name in a form: normalised, then checked."""

    default_validators = [validate_person_name]

    def to_python(self, value):
        value = super().to_python(value)
        return normalise(value) if value else value


class PersonNameField(models.CharField):
    """A person's (or a family's) name in the database: its forms use
    ``PersonNameFormField``, ``full_clean`` refuses invisible characters, and every
    save stores the name normalised, whoever wrote it."""

    default_validators = [validate_person_name]

    def to_python(self, value):
        value = super().to_python(value)
        return normalise(value) if value else value

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if value:
            value = normalise(value)
            setattr(model_instance, self.attname, value)
        return value

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": PersonNameFormField, **kwargs})
