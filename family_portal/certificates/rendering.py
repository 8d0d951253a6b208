"""Certificates as PDF: HTML + print CSS laid out by WeasyPrint, nothing fetched but our
own static and media files (see fetcher.py).

Each certificate is its own tagged PDF/UA-1 document in French, with its title in the
metadata and real text throughout. It is laid out once, when issued (services.py stores
it): WeasyPrint needs tens of milliseconds for a page this full, whatever the style
sheet, and a frozen certificate has no reason to be laid out twice. Many certificates
(a batch) are laid out in parallel worker processes, one per core; a batch to print is
their PDFs joined by qpdf (pikepdf), language and title kept (joining drops the tag
trees, which a printed batch does not need). The style sheet and its fonts are parsed
once per process; QR codes are inline SVG paths (vector, nothing to fetch).
"""

from __future__ import annotations

import io
import itertools
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from weasyprint import CSS
from weasyprint.text.fonts import FontConfiguration

from home.french import french_date
from home.site_url import absolute_url

from . import pdfworker
from .fetcher import LocalFilesFetcher, media_url, static_url

STYLESHEET = "certificates/certificate.css"
TAGGED = {"pdf_variant": "pdf/ua-1"}  # PDF/UA-1: tagged, with language and title
# Certificates per task sent to a worker process: enough to amortise sending it, few
# enough to share the work between cores and to report progress.
CHUNK_SIZE = 25

_local = threading.local()


@dataclass
class Resources:
    """What every render of this process shares: fetcher, fonts and parsed CSS."""

    fetcher: LocalFilesFetcher
    font_config: FontConfiguration
    stylesheet: CSS
    css: str
    stamp: float


def resources(stylesheet: str = STYLESHEET) -> Resources:
    """The fetcher, fonts and parsed CSS of `stylesheet` (a static path), once per
    process and style sheet: certificates and invoices share this way of laying out."""
    path = finders.find(stylesheet)
    if path is None:
        raise FileNotFoundError(f"static file {stylesheet} not found")
    stamp = Path(path).stat().st_mtime
    cache = getattr(_local, "resources", None)
    if cache is None:
        cache = _local.resources = {}
    cached = cache.get(stylesheet)
    if cached is None or cached.stamp != stamp:  # the CSS changed: development only
        css = Path(path).read_text(encoding="utf-8")
        fetcher = LocalFilesFetcher()
        font_config = FontConfiguration()
        sheet = CSS(
            string=css,
            base_url=static_url(stylesheet),
            url_fetcher=fetcher,
            font_config=font_config,
        )
        cached = cache[stylesheet] = Resources(fetcher, font_config, sheet, css, stamp)
    return cached


def verification_url(certificate) -> str:
    """The address printed and QR-coded on the certificate: the site's own (the default
    Wagtail Site's root URL), whatever request or worker lays it out."""
    path = reverse("certificates:verify", args=[certificate.number, certificate.token])
    return absolute_url(path)


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


def certificate_context(certificate, draw_qr: bool = True) -> dict:
    """One certificate's page: its frozen content plus number, dates and QR code (or
    the placeholder where a worker process draws it)."""
    url = verification_url(certificate)
    content = certificate.content
    issued = timezone.localtime(certificate.issued_at)
    return {
        "number": certificate.number,
        "c": content,
        "issued_on": french_date(issued),
        "verification_url": url,
        "qr": mark_safe(  # noqa: S308 - segno's SVG, or our own placeholder
            pdfworker.qr_svg(url, certificate.number)
            if draw_qr
            else pdfworker.QR_PLACEHOLDER
        ),
        "signature": signature_lines(content["commune"]),
    }


def document_title(certificate) -> str:
    return f"Attestation de tarif {certificate.number}"


def render_html(certificate, *, commune_settings, logo=None, draw_qr=True) -> str:
    """The certificate's page as an HTML document."""
    with translation.override("fr"):
        return render_to_string(
            "certificates/pdf.html",
            {
                "title": document_title(certificate),
                "item": certificate_context(certificate, draw_qr),
                "logo_url": logo if logo is not None else logo_url(commune_settings),
                "author": getattr(commune_settings, "name", "") or "Portail Famille",
            },
        )


def html_to_pdf(html: str, stylesheet: str = STYLESHEET) -> bytes:
    """One HTML document as a tagged PDF/UA-1, laid out in this process."""
    shared = resources(stylesheet)
    return pdfworker.lay_out(
        html, shared.fetcher, shared.font_config, shared.stylesheet, TAGGED
    )


def render_one(certificate, *, commune_settings) -> bytes:
    """One certificate as a tagged PDF, laid out in this process."""
    return html_to_pdf(render_html(certificate, commune_settings=commune_settings))


def render_many(
    certificates: Sequence,
    *,
    commune_settings,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
    workers: int | None = None,
) -> Iterator[tuple[object, bytes]]:
    """Each certificate as its own tagged PDF: yields (certificate, PDF bytes) as they
    are laid out, not necessarily in order. `workers` processes (default: one per core)
    share the work; `progress(n)` is called with the number laid out so far."""
    workers = (
        workers
        or getattr(settings, "CERTIFICATE_RENDER_WORKERS", 0)
        or os.cpu_count()
        or 1
    )
    chunks = [
        certificates[start : start + max(chunk_size, 1)]
        for start in range(0, len(certificates), max(chunk_size, 1))
    ]
    if workers < 2 or len(chunks) < 2:
        done = 0
        for certificate in certificates:
            yield (
                certificate,
                render_one(certificate, commune_settings=commune_settings),
            )
            done += 1
            if progress is not None:
                progress(done)
        return
    yield from _render_in_workers(
        chunks, commune_settings, min(workers, len(chunks)), progress
    )


def _render_in_workers(chunks, commune_settings, workers, progress):
    shared = resources()
    logo = logo_url(commune_settings)
    if logo:
        shared.fetcher.fetch(logo)  # read it here, hand it over as bytes
    files = shared.fetcher.preloaded()
    css_url = static_url(STYLESHEET)
    # "spawn": a fresh interpreter, never a fork of a process holding database
    # connections and GLib state; the worker imports WeasyPrint and segno only.
    context = multiprocessing.get_context("spawn")
    done = 0
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {}
        for chunk in chunks:  # pages are built here while the workers lay out
            jobs = [
                (
                    render_html(
                        item,
                        commune_settings=commune_settings,
                        logo=logo,
                        draw_qr=False,
                    ),
                    verification_url(item),
                    item.number,
                )
                for item in chunk
            ]
            future = pool.submit(
                pdfworker.render_documents, jobs, shared.css, css_url, files, TAGGED
            )
            futures[future] = chunk
        for future in as_completed(futures):
            chunk = futures[future]
            yield from zip(chunk, future.result(), strict=True)
            done += len(chunk)
            if progress is not None:
                progress(done)


def render_pages(
    htmls: Iterable[str],
    *,
    stylesheet: str,
    logo: str | None = None,
    chunk_size: int = CHUNK_SIZE,
    workers: int | None = None,
) -> list[bytes]:
    """Each HTML document as its own tagged PDF, in order: laid out in parallel worker
    processes (one per core) when there are several chunks, like certificates.

    ``htmls`` may be a generator: each chunk goes to the workers as soon as it is
    built, so the next documents are built here while the workers lay out the first
    (building them all first left the workers idle for seconds in a batch of 200)."""
    workers = (
        workers
        or getattr(settings, "CERTIFICATE_RENDER_WORKERS", 0)
        or os.cpu_count()
        or 1
    )
    chunks = _chunks(htmls, max(chunk_size, 1))
    first = next(chunks, [])
    second = next(chunks, None)
    if workers < 2 or second is None:
        pending = [first, *([second] if second else []), *chunks]
        return [html_to_pdf(html, stylesheet) for chunk in pending for html in chunk]
    shared = resources(stylesheet)
    if logo:
        shared.fetcher.fetch(logo)  # read it here, hand it over as bytes
    files = shared.fetcher.preloaded()
    css_url = static_url(stylesheet)
    context = multiprocessing.get_context("spawn")
    futures = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for chunk in itertools.chain([first, second], chunks):
            futures.append(
                pool.submit(
                    pdfworker.render_documents,
                    [(html, "", "") for html in chunk],
                    shared.css,
                    css_url,
                    files,
                    TAGGED,
                )
            )
        return [pdf for future in futures for pdf in future.result()]


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def join_pdfs(parts: Sequence[bytes], *, title: str, target=None):
    """One PDF of all the parts' pages, in order, in French, titled; written to `target`
    (a path or a binary file), or returned as bytes. qpdf (through pikepdf) joins 500
    pages in under a second, where pypdf took ten."""
    import pikepdf

    joined = pikepdf.new()
    sources = []
    for part in parts:
        source = pikepdf.open(io.BytesIO(part))
        sources.append(source)  # pages refer to their source until saved
        joined.pages.extend(source.pages)
    joined.docinfo[pikepdf.Name.Title] = title
    joined.Root.Lang = pikepdf.String("fr")
    joined.Root.ViewerPreferences = pikepdf.Dictionary(DisplayDocTitle=True)
    if target is None:
        output = io.BytesIO()
        joined.save(output)
        return output.getvalue()
    joined.save(target)
    return None
