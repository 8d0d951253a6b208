"""The activities' models, one module per concept, all importable from here.

- versions: frozen barème versions, what pages and enrolments price with;
- bareme_rows: a barème's editable rows (columns, brackets, sibling reductions);
- baremes: barèmes as agents edit them, and the document their rows describe;
- pages: the activity list and activity pages, with the barèmes that price them;
- periods: an activity's periods, places and enrolment window.

Choices live in activities/choices.py and the custom fields in activities/fields.py, which
import no model, so that forms can use them; the pages import the forms, never the reverse.
"""

from ..choices import (
    ActivityCategory,
    NonResidentMode,
    NoQfMode,
    PricingModel,
    QfRounding,
    ResidenceCondition,
    RoundingMode,
    SiblingsAppliesTo,
)
from ..fields import (
    ColumnPricesField,
    DecimalTextField,
    normalize_number,
    split_words,
)
from .bareme_rows import (
    BaremeBracket,
    BaremeColumn,
    BaremeSiblingReduction,
    ConditionFields,
)
from .baremes import Bareme, document_from_rows
from .pages import ActivityBaremeLink, ActivityIndexPage, ActivityPage, PeriodTariff
from .periods import ActivityPeriod, ActivityPeriodQuerySet
from .versions import BaremeVersion, BaremeVersionQuerySet

__all__ = [
    "ActivityBaremeLink",
    "ActivityCategory",
    "ActivityIndexPage",
    "ActivityPage",
    "ActivityPeriod",
    "ActivityPeriodQuerySet",
    "Bareme",
    "BaremeBracket",
    "BaremeColumn",
    "BaremeSiblingReduction",
    "BaremeVersion",
    "PeriodTariff",
    "BaremeVersionQuerySet",
    "ColumnPricesField",
    "ConditionFields",
    "DecimalTextField",
    "NoQfMode",
    "NonResidentMode",
    "PricingModel",
    "QfRounding",
    "ResidenceCondition",
    "RoundingMode",
    "SiblingsAppliesTo",
    "document_from_rows",
    "normalize_number",
    "split_words",
]
