"""The family portal's models, one module per concept, all importable from here.

- families: families, guardians (parents) and children;
- quotients: quotient familial records and the QF documents agents check;
- enrolments: enrolments, their frozen tariff snapshot and its price changes;
- certificates: tariff certificates, their numbering and printing batches;
- service: the family service's settings, the agents' audit trail, the QF refresh.

Dependencies point down this list, never back up.
"""

from .certificates import Certificate, CertificateBatch, CertificateNumberSequence
from .enrolments import (
    SNAPSHOT_FIELDS,
    Enrolment,
    EnrolmentPriceChange,
    EnrolmentQuerySet,
    snapshot_dict,
)
from .families import (
    COG_VALIDATOR,
    COUNTRY_VALIDATOR,
    POSTCODE_VALIDATOR,
    Child,
    Diet,
    Family,
    FamilyAccount,
    Guardian,
    Residence,
    SchoolLevel,
    Sex,
    describe_diet,
    photo_version,
)
from .jobs import BackgroundJob
from .quotients import QfDocument, QuotientRecord
from .service import (
    AgentAction,
    FamilyServiceSettings,
    QfCampaign,
    QfRefreshOutcome,
    TaxNoticeRule,
)
from .storage import private_storage

__all__ = [
    "COG_VALIDATOR",
    "COUNTRY_VALIDATOR",
    "POSTCODE_VALIDATOR",
    "SNAPSHOT_FIELDS",
    "AgentAction",
    "BackgroundJob",
    "Certificate",
    "CertificateBatch",
    "CertificateNumberSequence",
    "Child",
    "Diet",
    "Enrolment",
    "EnrolmentPriceChange",
    "EnrolmentQuerySet",
    "Family",
    "FamilyAccount",
    "FamilyServiceSettings",
    "Guardian",
    "QfCampaign",
    "QfDocument",
    "QfRefreshOutcome",
    "QuotientRecord",
    "Residence",
    "SchoolLevel",
    "describe_diet",
    "photo_version",
    "Sex",
    "TaxNoticeRule",
    "private_storage",
    "snapshot_dict",
]
