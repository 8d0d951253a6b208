"""Issuing tax certificates (frozen, numbered AF-<year>-<six digits>), laying out their
PDFs (WeasyPrint, tagged PDF/UA-1, the commune's identity from its settings) and joining
a year's into one PDF to print."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from activities.pricing.formatting import format_money
from family_portal.certificates import rendering
from family_portal.certificates.content import commune_settings
from family_portal.models import Child, Family
from home.french import french_date

from .amounts import paid_for_childcare
from .models import TaxCertificate, TaxCertificateSequence

STYLESHEET = "billing/invoice.css"
PREFIX = "AF"


def allocate_numbers(year: int, count: int) -> list[str]:
    """``count`` consecutive numbers of ``year``; inside the caller's transaction."""
    if count < 1:
        return []
    sequences = TaxCertificateSequence.objects
    if not sequences.filter(year=year).update(last=F("last") + count):
        try:
            with transaction.atomic():
                sequences.create(year=year, last=0)
        except IntegrityError:
            pass  # created by another transaction meanwhile
        sequences.filter(year=year).update(last=F("last") + count)
    last = sequences.values_list("last", flat=True).get(year=year)
    return [f"{PREFIX}-{year}-{n:06d}" for n in range(last - count + 1, last + 1)]


def _issuer(commune) -> dict:
    return {
        "name": getattr(commune, "name", "") or "Commune",
        "service": getattr(commune, "service_name", "") or "Service des familles",
        "address": getattr(commune, "address", ""),
        "siret": getattr(commune, "siret", ""),
        "phone": getattr(commune, "phone", ""),
        "email": getattr(commune, "email", ""),
        "signature": rendering.signature_lines(
            {
                "signatory_name": getattr(commune, "signatory_name", ""),
                "signatory_role": getattr(commune, "signatory_role", ""),
                "service": getattr(commune, "service_name", ""),
            }
        ),
    }


def build_content(family: Family, year: int, amounts: dict, children, commune) -> dict:
    """What the certificate says, as the French text printed."""
    rows = [
        {
            "child_id": child.pk,
            "name": f"{child.first_name} {child.last_name}",
            "birth_date": f"{child.birth_date:%d/%m/%Y}",
            "amount": str(amounts[child.pk]),
            "amount_text": format_money(amounts[child.pk]),
        }
        for child in children
    ]
    total = sum((amounts[child.pk] for child in children), Decimal("0.00"))
    return {
        "year": year,
        "issuer": _issuer(commune),
        "family": {
            "name": family.name,
            "guardians": [str(guardian) for guardian in family.guardians.all()],
            "street": family.street,
            "town": f"{family.postcode} {family.city}".strip(),
        },
        "children": rows,
        "total": str(total),
        "total_text": format_money(total),
    }


def issue(year: int, family_ids, *, commune=None) -> list[TaxCertificate]:
    """Bring the families' certificates of ``year`` up to date: a new one (a new
    number) where the amounts paid differ from the certificate in force, which is then
    replaced; nothing for a family whose certificate still holds. Returns the new
    certificates, their PDFs laid out."""
    commune = commune or commune_settings()
    amounts = paid_for_childcare(year, family_ids)
    if not amounts:
        return []
    families = {
        f.pk: f
        for f in Family.objects.filter(pk__in=list(amounts)).prefetch_related(
            "guardians"
        )
    }
    children = {
        c.pk: c
        for c in Child.objects.filter(
            pk__in={child for found in amounts.values() for child in found}
        ).order_by("birth_date", "pk")
    }
    with transaction.atomic():
        current = {
            c.family_id: c
            for c in TaxCertificate.objects.select_for_update().filter(
                family_id__in=list(amounts),
                year=year,
                status=TaxCertificate.Status.CURRENT,
            )
        }
        contents = {}
        for family_id in sorted(amounts):
            kids = sorted(
                (children[pk] for pk in amounts[family_id]),
                key=lambda c: (c.birth_date, c.pk),
            )
            with translation.override("fr"):
                content = build_content(
                    families[family_id], year, amounts[family_id], kids, commune
                )
            old = current.get(family_id)
            if old is not None and _same(old.content, content):
                continue
            contents[family_id] = content
        numbers = allocate_numbers(year, len(contents))
        now = timezone.now()
        new = []
        for (family_id, content), number in zip(contents.items(), numbers, strict=True):
            old = current.get(family_id)
            if old is not None:
                old.status = TaxCertificate.Status.REPLACED
                old.save(update_fields=["status"])
            certificate = TaxCertificate.objects.create(
                family_id=family_id,
                year=year,
                number=number,
                total=Decimal(content["total"]),
                content=content,
                issued_at=now,
            )
            if old is not None:
                TaxCertificate.objects.filter(pk=old.pk).update(replaced_by=certificate)
            new.append(certificate)
    lay_out(new, commune=commune)
    return new


def _same(old: dict, new: dict) -> bool:
    def amounts(content):
        return [(row["child_id"], row["amount"]) for row in content["children"]]

    return amounts(old) == amounts(new)


def title(certificate: TaxCertificate) -> str:
    return f"Attestation fiscale {certificate.year} — frais de garde ({certificate.number})"


def filename(certificate: TaxCertificate) -> str:
    return f"attestation-fiscale-{certificate.number}.pdf"


def render_html(certificate: TaxCertificate, logo=None) -> str:
    with translation.override("fr"):
        return render_to_string(
            "taxcerts/pdf.html",
            {
                "title": title(certificate),
                "certificate": certificate,
                "content": certificate.content,
                "issued_on": french_date(timezone.localdate(certificate.issued_at)),
                "logo_url": logo,
                "author": certificate.content["issuer"]["name"],
            },
        )


def lay_out(certificates, *, commune=None) -> int:
    """Lay out (once) the PDFs of the certificates that have none; returns how many."""
    missing = [c for c in certificates if not c.pdf]
    if not missing:
        return 0
    logo = rendering.logo_url(commune or commune_settings())
    pdfs = rendering.render_pages(
        [render_html(c, logo=logo) for c in missing], stylesheet=STYLESHEET, logo=logo
    )
    for certificate, data in zip(missing, pdfs, strict=True):
        field = certificate.pdf
        name = field.storage.save(
            field.field.generate_filename(certificate, filename(certificate)),
            ContentFile(data),
        )
        if TaxCertificate.objects.filter(pk=certificate.pk, pdf="").update(pdf=name):
            field.name = name
        else:  # another worker stored one meanwhile
            field.storage.delete(name)
            certificate.refresh_from_db(fields=["pdf"])
    return len(missing)


def pdf_of(certificate: TaxCertificate) -> bytes:
    if not certificate.pdf:
        lay_out([certificate])
    try:
        with certificate.pdf.open("rb") as stored:
            return stored.read()
    except FileNotFoundError:  # a restored backup without its files
        TaxCertificate.objects.filter(pk=certificate.pk).update(pdf="")
        certificate.pdf.name = ""
        lay_out([certificate])
        with certificate.pdf.open("rb") as stored:
            return stored.read()


def year_pdf(year: int, target) -> int:
    """Every certificate in force of ``year``, by family name, joined into one PDF
    written to ``target``; returns how many."""
    certificates = list(
        TaxCertificate.objects.filter(
            year=year, status=TaxCertificate.Status.CURRENT
        ).order_by("family__name", "pk")
    )
    if not certificates:
        return 0
    lay_out(certificates)
    rendering.join_pdfs(
        [pdf_of(c) for c in certificates],
        title=f"Attestations fiscales {year} — frais de garde",
        target=target,
    )
    return len(certificates)
