"""Certificates as PDF: HTML + print CSS laid out by WeasyPrint, nothing fetched but our
own static and media files (see fetcher.py).

One certificate (a parent's or an agent's download) is a tagged PDF/UA-1 document in
French, with its title in the metadata and real text throughout. A batch is one HTML
document per chunk of pages: chunks are laid out in parallel worker processes, one per
core, then joined into one PDF to print (language and title kept; joining drops the
tag trees, which a printed batch does not need). The style sheet and its fonts are
parsed once per process; QR codes are inline SVG paths (vector, nothing to fetch).
"""

from __future__ import annotations

import io
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from . import pdfworker
from .fetcher import BASE_URL, LocalFilesFetcher, media_url, static_url

STYLESHEET = "certificates/certificate.css"
TAGGED = {"pdf_variant": "pdf/ua-1"}  # PDF/UA-1: tagged, with language and title
# Pages per WeasyPrint call in a batch: enough to amortise a call, few enough to
# share the work between cores and to report progress.
CHUNK_SIZE = 50

_local = threading.local()


@dataclass
class Resources:
    """What every render of this process shares: fetcher, fonts and parsed CSS."""

    fetcher: LocalFilesFetcher
    font_config: FontConfiguration
    stylesheet: CSS
    css: str
    stamp: float


def resources() -> Resources:
    path = finders.find(STYLESHEET)
    if path is None:
        raise FileNotFoundError(f"static file {STYLESHEET} not found")
    stamp = Path(path).stat().st_mtime
    cached = getattr(_local, "resources", None)
    if cached is None or cached.stamp != stamp:  # the CSS changed: development only
        css = Path(path).read_text(encoding="utf-8")
        fetcher = LocalFilesFetcher()
        font_config = FontConfiguration()
        stylesheet = CSS(
            string=css,
            base_url=static_url(STYLESHEET),
            url_fetcher=fetcher,
            font_config=font_config,
        )
        cached = _local.resources = Resources(
            fetcher, font_config, stylesheet, css, stamp
        )
    return cached


def verification_url(certificate) -> str:
    base = (
        getattr(settings, "CERTIFICATE_BASE_URL", "") or settings.WAGTAILADMIN_BASE_URL
    )
    path = reverse("certificates:verify", args=[certificate.number, certificate.token])
    return base.rstrip("/") + path


def signature_lines(commune: dict) -> list[str]:
    role = commune.get("signatory_role", "").strip()
    name = commune.get("signatory_name", "").strip()
    lines = []
    if "délégation" not in role.lower():
        lines.append("Pour le maire et par délégation,")
    if role:
        lines.append(role)
    elif not name:
        lines.append(commune.get("service") or "le service des familles")
    if name:
        lines.append(name)
    return lines


def logo_url(commune_settings) -> str | None:
    logo = getattr(commune_settings, "logo", None)
    if logo is None:
        return None
    try:
        rendition = logo.get_rendition("max-360x180|format-png")
    except Exception:  # noqa: BLE001 - a broken logo must not stop certificates
        return None
    return media_url(rendition.url)


def certificate_context(certificate, qr_index: int | None = None) -> dict:
    """One certificate's page: its frozen content plus number, dates and QR code (or
    the placeholder `qr_index` where a worker process draws it)."""
    url = verification_url(certificate)
    content = certificate.content
    issued = timezone.localtime(certificate.issued_at)
    return {
        "number": certificate.number,
        "c": content,
        "issued_on": date_format(issued, "j F Y"),
        "verification_url": url,
        "qr": mark_safe(  # noqa: S308 - segno's SVG, or our own placeholder
            pdfworker.qr_svg(url, certificate.number)
            if qr_index is None
            else pdfworker.qr_placeholder(qr_index)
        ),
        "signature": signature_lines(content["commune"]),
    }


def render_html(
    contexts: Sequence[dict], *, title: str, commune_settings, logo=None
) -> str:
    with translation.override("fr"):
        return render_to_string(
            "certificates/pdf.html",
            {
                "title": title,
                "certificates": contexts,
                "logo_url": logo if logo is not None else logo_url(commune_settings),
                "author": getattr(commune_settings, "name", "") or "Portail Famille",
            },
        )


def html_to_pdf(html: str, options: dict, target=None):
    shared = resources()
    with pdfworker.collector_paused():
        document = HTML(
            string=html, base_url=BASE_URL, url_fetcher=shared.fetcher
        ).render(
            font_config=shared.font_config, stylesheets=[shared.stylesheet], **options
        )
        return document.write_pdf(target, **options)


def document_title(certificates: Sequence) -> str:
    if len(certificates) == 1:
        return f"Attestation de tarif {certificates[0].number}"
    return f"Attestations de tarif ({len(certificates)})"


def render_pdf(
    certificates: Sequence,
    *,
    commune_settings,
    title: str | None = None,
    target=None,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
    workers: int | None = None,
):
    """The certificates as one PDF, one page each, in the given order.

    Up to `chunk_size` certificates: one tagged PDF/UA document laid out here. More: a
    batch, laid out in chunks by `workers` processes (default: one per core) and
    joined. Returns the PDF bytes, or writes them to `target` (a path or a binary
    file). `progress(n)` is called with the number of pages laid out so far.
    """
    if not certificates:
        raise ValueError("No certificate to render.")
    title = title or document_title(certificates)
    logo = logo_url(commune_settings)
    if len(certificates) <= chunk_size:
        html = render_html(
            [certificate_context(item) for item in certificates],
            title=title,
            commune_settings=commune_settings,
            logo=logo,
        )
        result = html_to_pdf(html, TAGGED, target)
        if progress is not None:
            progress(len(certificates))
        return result
    chunks = list(_chunks(certificates, chunk_size))
    workers = (
        workers
        or getattr(settings, "CERTIFICATE_RENDER_WORKERS", 0)
        or os.cpu_count()
        or 1
    )
    parallel = workers > 1
    # Built lazily, chunk by chunk, while the workers lay out the first ones.
    jobs = (
        (
            render_html(
                [
                    certificate_context(item, index if parallel else None)
                    for index, item in enumerate(chunk)
                ],
                title=title,
                commune_settings=commune_settings,
                logo=logo,
            ),
            [(verification_url(item), item.number) for item in chunk],
        )
        for chunk in chunks
    )
    if parallel:
        parts = _render_in_workers(
            jobs, chunks, logo, min(workers, len(chunks)), progress
        )
    else:
        parts, done = [], 0
        for (html, _codes), chunk in zip(jobs, chunks, strict=True):
            parts.append(html_to_pdf(html, {}))
            done += len(chunk)
            if progress is not None:
                progress(done)
    return join_pdfs(parts, title=title, target=target)


def _render_in_workers(jobs, chunks, logo, workers, progress) -> list[bytes]:
    shared = resources()
    if logo:
        shared.fetcher.fetch(logo)  # read it here, hand it over as bytes
    files = shared.fetcher.preloaded()
    css_url = static_url(STYLESHEET)
    # "spawn": a fresh interpreter, never a fork of a process holding database
    # connections and GLib state; the worker imports WeasyPrint and segno only.
    context = multiprocessing.get_context("spawn")
    parts: list[bytes | None] = [None] * len(chunks)
    done = 0
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {}
        for index, (html, codes) in enumerate(jobs):
            future = pool.submit(
                pdfworker.render_chunk, html, codes, shared.css, css_url, files, {}
            )
            futures[future] = index
        for future in as_completed(futures):
            index = futures[future]
            parts[index] = future.result()
            done += len(chunks[index])
            if progress is not None:
                progress(done)
    return parts


def join_pdfs(parts: Sequence[bytes], *, title: str, target=None):
    """One PDF of all the parts' pages, in order, in French, titled."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    writer = PdfWriter()
    for part in parts:
        writer.append(io.BytesIO(part))
    writer.add_metadata({"/Title": title})
    writer.root_object[NameObject("/Lang")] = TextStringObject("fr")
    if target is None:
        output = io.BytesIO()
        writer.write(output)
        return output.getvalue()
    writer.write(target)
    return None


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(items), max(size, 1)):
        yield items[start : start + size]
