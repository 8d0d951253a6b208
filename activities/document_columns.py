"""The database column each text of a ``bareme/1`` document ends in: the reader's
limits (``activities.pricing.reader.LIMITS``) take their lengths from these model
fields when the app is ready, so a document the reader accepts always fits (PostgreSQL
would refuse a longer text with a DataError; SQLite would store it silently). The
billing rules' ``id``, ``label`` and ``deliberation`` are held to the same lengths."""

from __future__ import annotations

from django.db.backends.base.operations import BaseDatabaseOperations

from .fields import DecimalTextField
from .models import Bareme, BaremeBracket, BaremeColumn, BaremeSiblingReduction

# Path pattern in the document ("[]" for any index) → (model, field). A list of words
# (regime, flags) is stored joined with ", ".
COLUMNS = {
    "id": (Bareme, "slug"),
    "label": (Bareme, "label"),
    "unit": (Bareme, "unit"),
    "deliberation.reference": (Bareme, "deliberation_reference"),
    "deliberation.url": (Bareme, "deliberation_url"),
    "columns[].key": (BaremeColumn, "key"),
    "columns[].label": (BaremeColumn, "label"),
    "columns[].when.regime": (BaremeColumn, "when_regime"),
    "columns[].when.flags": (BaremeColumn, "when_flags"),
    "brackets[].label": (BaremeBracket, "label"),
    "brackets[].when.regime": (BaremeBracket, "when_regime"),
    "brackets[].when.flags": (BaremeBracket, "when_flags"),
}
SMALL_INTEGERS = [
    (BaremeColumn, "when_rank_min"),
    (BaremeColumn, "when_rank_max"),
    (BaremeSiblingReduction, "from_rank"),
]


def column_lengths() -> dict[str, int]:
    return {
        pattern: model._meta.get_field(name).max_length
        for pattern, (model, name) in COLUMNS.items()
    }


def configure(limits) -> None:
    """Set the reader's limits from the models' fields."""
    limits.columns = column_lengths()
    limits.text_length = max(limits.columns.values())
    limits.decimal_length = min(
        field.max_length
        for model in (Bareme, BaremeColumn, BaremeBracket, BaremeSiblingReduction)
        for field in model._meta.get_fields()
        if isinstance(field, DecimalTextField)
    )
    # The standard SQL ranges PostgreSQL enforces (SQLite would take any integer).
    limits.integer_max = min(
        BaseDatabaseOperations.integer_field_ranges[
            model._meta.get_field(name).get_internal_type()
        ][1]
        for model, name in SMALL_INTEGERS
    )
