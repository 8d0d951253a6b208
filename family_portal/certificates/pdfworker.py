"""Certificate pages laid out in a worker process: HTML in, PDF bytes out.

No Django here, so a spawned worker starts in a fraction of a second. The parent hands
over the HTML and every file the page may use (style sheet, fonts, logo) as bytes: the
worker's fetcher serves those and refuses anything else, like the parent's.
"""

from __future__ import annotations

import gc
import hashlib

import segno
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

# Rendering base URL under the reserved `.invalid` domain (RFC 2606): never resolved.
BASE_URL = "https://attestation.invalid/"


class PreloadedFetcher(URLFetcher):
    """Serves the files it was given, from memory, and refuses every other URL."""

    def __init__(self, files: dict[str, tuple[bytes, str]]):
        super().__init__(allowed_protocols=("https",), allow_redirects=False)
        self.files = files

    def fetch(self, url, headers=None):
        if url not in self.files:
            raise ValueError(f"Resource refused while rendering: {url}")
        body, mime_type = self.files[url]
        return URLFetcherResponse(url, body, {"Content-Type": mime_type})


def lay_out(html: str, fetcher, font_config, stylesheet, options) -> bytes:
    """One HTML document as PDF bytes.

    Layout allocates millions of short-lived objects: the cyclic garbage collector,
    walking them again and again, cost a quarter of the time. It is paused while laying
    out, and runs again once the document is garbage (it is freed when `_pdf` returns;
    still alive, the collector would walk all of it once more).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _pdf(html, fetcher, font_config, stylesheet, options)
    finally:
        if was_enabled:
            gc.enable()


def _pdf(html, fetcher, font_config, stylesheet, options) -> bytes:
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render(
        font_config=font_config, stylesheets=[stylesheet], **options
    )
    return document.write_pdf(**options)


def qr_svg(url: str, number: str) -> str:
    """The verification URL as an inline SVG QR code (vector: no image to fetch)."""
    code = segno.make(url, error="m", micro=False)
    return code.svg_inline(
        scale=1,
        border=2,
        omitsize=True,
        svgclass="qr",
        lineclass=None,
        title=f"Code QR de vérification de l'attestation {number}",
    )


# Where a worker draws the QR code: choosing its best mask takes ~5 ms a code, work
# better shared between the workers than done by the parent for every page.
QR_PLACEHOLDER = "<!--qr-code-->"


_shared: dict[str, tuple] = {}


def _resources(css: str, css_url: str, files):
    key = hashlib.sha256(f"{css_url}\n{css}".encode()).hexdigest()
    if key not in _shared:
        _shared.clear()
        fetcher = PreloadedFetcher(files)
        font_config = FontConfiguration()
        stylesheet = CSS(
            string=css, base_url=css_url, url_fetcher=fetcher, font_config=font_config
        )
        _shared[key] = (fetcher, font_config, stylesheet)
        # What the worker has loaded so far lives as long as it does: out of the
        # collector's sight, each collection has less to walk (5 % of the layout time).
        gc.collect()
        gc.freeze()
    fetcher, font_config, stylesheet = _shared[key]
    fetcher.files = files
    return fetcher, font_config, stylesheet


def render_documents(
    jobs: list[tuple[str, str, str]], css: str, css_url: str, files, options
) -> list[bytes]:
    """Each (HTML, verification URL, number) as its own PDF (runs in a worker process),
    its QR code drawn at the placeholder if the page has one."""
    fetcher, font_config, stylesheet = _resources(css, css_url, files)
    return [
        lay_out(
            html.replace(QR_PLACEHOLDER, qr_svg(url, number), 1)
            if QR_PLACEHOLDER in html
            else html,
            fetcher,
            font_config,
            stylesheet,
            options,
        )
        for html, url, number in jobs
    ]
