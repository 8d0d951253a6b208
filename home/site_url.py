"""The site's public address: the default Wagtail Site's root URL (hostname and port,
edited in the admin under Paramètres › Sites or with ``manage.py set_site_url``).

Absolute links that leave a request behind (the certificates' verification URL and QR
code) are built from it, never from a default port. Production refuses to start while it
is a loopback address or plain HTTP (``production_problems``, called by the WSGI entry
point and the ``home.E001`` check).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from wagtail.models import Site

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0", ""}  # noqa: S104 - names, not binds


def default_site() -> Site:
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        raise ImproperlyConfigured(
            "No default Wagtail site: run `manage.py migrate` and set its address with "
            "`manage.py set_site_url https://www.ville.example`."
        )
    return site


def site_root_url() -> str:
    """``https://www.ville.example`` (no trailing slash)."""
    return default_site().root_url.rstrip("/")


def absolute_url(path: str) -> str:
    return site_root_url() + "/" + path.lstrip("/")


def parse_root_url(url: str) -> tuple[str, int]:
    """The hostname and port a Site needs to answer at ``url`` (http or https, no path)."""
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = None
        parts = parts._replace(netloc="")
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(
            f"{url!r} is not an http(s) address such as https://www.ville.example"
        )
    if parts.path not in {"", "/"} or parts.query or parts.fragment:
        raise ValueError(f"{url!r}: the site's address takes no path")
    default_port = 443 if parts.scheme == "https" else 80
    port = port or default_port
    if parts.scheme == "https" and port != 443:
        # Wagtail derives the scheme from the port: only 443 gives https.
        raise ValueError(f"{url!r}: an https address must use port 443")
    if parts.scheme == "http" and port == 443:
        raise ValueError(f"{url!r}: port 443 is https")
    return parts.hostname, port


def set_root_url(site: Site, url: str) -> Site:
    site.hostname, site.port = parse_root_url(url)
    site.save(update_fields=["hostname", "port"])
    return site


def root_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a production site's address, or None."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host in LOOPBACK_HOSTS or host.endswith(".localhost") or host.startswith("127."):
        return f"the site's address is {url}, a local address no family can reach"
    if parts.scheme != "https":
        return f"the site's address is {url}, not https"
    return None


def production_problems() -> list[str]:
    """What stops production: no default site, or one at a local or plain HTTP address."""
    try:
        site = default_site()
    except ImproperlyConfigured as error:
        return [str(error)]
    problem = root_url_problem(site.root_url)
    if problem is None:
        return []
    return [
        problem + " (set it with `manage.py set_site_url https://www.ville.example`, "
        "or in the admin under Paramètres › Sites: port 443)"
    ]


def verify_production_site() -> None:
    """Raise when production would print wrong links (called at start-up)."""
    problems = production_problems()
    if problems:
        raise ImproperlyConfigured(
            "Refusing to start in production: " + "; ".join(problems) + "."
        )
