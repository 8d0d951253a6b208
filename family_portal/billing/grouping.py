"""An invoice's lines grouped by child and service, as the family's page and the PDF show
them: one group per section (a child's month in a service), then the other lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from activities.billing_rules.model import LINE_CASES

from .models import CASE_LABELS, Invoice, InvoiceLine, RulesVersion

OTHER_CASES = {
    "forfait": "Forfait mensuel",
    "late_pickup": "Retard",
    InvoiceLine.CARRIED_IN: "Report",
    InvoiceLine.REGULARISATION: "Régularisation",
    InvoiceLine.CORRECTION: "Correction",
    InvoiceLine.CREDIT: "Avoir",
}


def case_label(case: str) -> str:
    if case in CASE_LABELS:
        return str(CASE_LABELS[case])
    return OTHER_CASES.get(case, case)


@dataclass
class Group:
    title: str
    tariff: str = ""
    deliberation: str = ""
    lines: list = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def groups_of(invoice: Invoice, rules: dict | None = None) -> list[Group]:
    """The invoice's lines in groups. Read with their child and section (or taken from
    a batch's prefetch); the rules documents once per version, kept in ``rules`` for
    the next invoices of a batch, and the services' titles only when a document has no
    label (a service page and a rules document were read with every line, for every
    PDF of a run)."""
    if "lines" in getattr(invoice, "_prefetched_objects_cache", {}):
        lines = list(invoice.lines.all())
    else:
        lines = list(
            invoice.lines.select_related("child", "section").order_by("position", "pk")
        )
    versions = {
        line.section.rules_version_id for line in lines if line.section_id is not None
    }
    documents = {} if rules is None else rules
    if missing := versions - documents.keys():
        documents.update(
            RulesVersion.objects.filter(pk__in=missing).values_list("pk", "document")
        )
    groups: dict[object, Group] = {}
    for line in lines:
        line.case_label = case_label(line.case)
        line.is_engine_case = line.case in LINE_CASES
        key = line.section_id or ("other", line.child_id, line.case)
        group = groups.get(key)
        if group is None:
            group = groups[key] = _group(line, documents)
        group.lines.append(line)
    return list(groups.values())


def _group(line, documents) -> Group:
    if line.section_id is not None:
        document = documents.get(line.section.rules_version_id) or {}
        service = document.get("label") or line.activity.title
        deliberation = document.get("deliberation") or {}
        rules = ""
        if deliberation:
            rules = f"Règlement : délibération {deliberation['reference']} du " + (
                "{2}/{1}/{0}".format(*deliberation["date"].split("-"))
            )
        return Group(
            title=f"{line.child.first_name} — {service}",
            tariff=line.section.tariff,
            deliberation=rules,
        )
    title = OTHER_CASES.get(line.case, "Autres lignes")
    if line.case == InvoiceLine.REGULARISATION:
        title = "Régularisations"
    elif line.case == InvoiceLine.CORRECTION:
        title = "Corrections"
    if line.child_id:
        title = f"{line.child.first_name} — {title}"
    return Group(title=title)
