"""The only way WeasyPrint may read a resource while rendering a certificate.

Certificates are rendered with a base URL under the reserved `.invalid` domain (RFC 2606,
never resolved). Our own static files (`/static/…`, found by the staticfiles finders or in
STATIC_ROOT) and public media files (`/media/…`, the commune's logo) are read from disk;
every other URL — another host, `file:`, `data:`, `http:` — is refused, so rendering
never touches the network nor the server's other files.
"""

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.utils._os import safe_join
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .pdfworker import BASE_URL


class RefusedResource(ValueError):
    pass


class LocalFilesFetcher(URLFetcher):
    """Serves `BASE_URL + STATIC_URL…` and `BASE_URL + MEDIA_URL…` from disk, nothing else.

    Files read are kept in memory: one fetcher serves a whole batch, and the fonts and
    style sheet are shared by every render of the process.
    """

    def __init__(self):
        super().__init__(allowed_protocols=("https",), allow_redirects=False)
        self._cache: dict[str, tuple[bytes, str]] = {}
        self.refused: list[str] = []

    def preloaded(self) -> dict[str, tuple[bytes, str]]:
        """The files read so far, for a worker process (see pdfworker.py)."""
        return dict(self._cache)

    def fetch(self, url, headers=None):
        if url not in self._cache:
            path = self.local_path(url)
            if path is None:
                self.refused.append(url)
                raise RefusedResource(f"Resource refused while rendering: {url}")
            mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            self._cache[url] = (path.read_bytes(), mime_type)
        body, mime_type = self._cache[url]
        return URLFetcherResponse(url, body, {"Content-Type": mime_type})

    @staticmethod
    def local_path(url: str) -> Path | None:
        """The file behind one of our URLs, or None when the URL is not ours."""
        if not url.startswith(BASE_URL):
            return None
        parts = urlsplit(url)
        path = "/" + unquote(parts.path).lstrip("/")
        found = None
        try:
            if path.startswith(settings.STATIC_URL):
                relative = path.removeprefix(settings.STATIC_URL)
                found = finders.find(relative) or safe_join(
                    settings.STATIC_ROOT, relative
                )
            elif settings.MEDIA_URL and path.startswith(settings.MEDIA_URL):
                found = safe_join(
                    settings.MEDIA_ROOT, path.removeprefix(settings.MEDIA_URL)
                )
        except (ValueError, SuspiciousFileOperation):  # a path climbing out
            return None
        if not found:
            return None
        found = Path(found)
        return found if found.is_file() else None


def static_url(path: str) -> str:
    return f"{BASE_URL.rstrip('/')}{settings.STATIC_URL}{path}"


def media_url(url: str) -> str:
    """A media URL (`/media/images/logo.png`) as the renderer must ask for it."""
    return f"{BASE_URL.rstrip('/')}/{url.lstrip('/')}"
