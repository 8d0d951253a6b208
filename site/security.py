"""Security plumbing: one Content-Security-Policy per area of the site, the sign-in
lockout (django-axes) shared by the Wagtail admin and the parents' allauth sign-in, and
the visitor's address that every per-address limit counts."""

import ipaddress
from functools import cache
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from eopayment.payfip_ws import PAYMENT_URL as PAYFIP_PAYMENT_URL


@cache
def admin_path_prefix():
    return reverse("wagtailadmin_home")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with `settings.CONTENT_SECURITY_POLICY` for the public site
    and the family space, and `settings.ADMIN_CONTENT_SECURITY_POLICY` under the Wagtail
    admin, whose widgets still rely on inline scripts, inline styles and eval."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if (
            not report_only
            and parts.config is None
            and request.path_info.startswith(admin_path_prefix())
        ):
            parts.config = settings.ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"]
        elif not report_only and parts.config is None:
            # "Payer en ligne" posts to us and is redirected to PayFiP's payment page:
            # form-action governs that redirect too (Chromium blocks it otherwise).
            update = dict(parts.update or {})
            update["form-action"] = [*update.get("form-action", []), payfip_origin()]
            parts.update = update
        return parts


def payfip_origin() -> str:
    """PayFiP's payment page's origin: the real one, or our fake one (demo, tests)."""
    url = urlsplit(settings.PAYFIP_PAYMENT_URL or PAYFIP_PAYMENT_URL)
    return f"{url.scheme}://{url.netloc}"


def login_identifier(request, credentials):
    """What a sign-in attempt names, for django-axes: an agent's user name (Wagtail admin,
    `username`) or a parent's e-mail address (allauth, `email` in the credentials and
    `login` in the form). Case-folded, so that `Anne@…` and `anne@…` count together."""
    credentials = credentials or {}
    posted = getattr(request, "POST", None) or {}
    for value in (
        credentials.get("username"),
        credentials.get("email"),
        credentials.get("login"),
        posted.get("username"),
        posted.get("login"),
    ):
        if isinstance(value, str) and value.strip():
            return value.strip().casefold()
    return ""


def client_ip(request) -> str:
    """The visitor's address, for every per-address limit (allauth's, django-axes', the
    QF lookups'): read here and nowhere else.

    Behind `TRUSTED_PROXY_COUNT` reverse proxies, each appends the address it saw to
    X-Forwarded-For, so the visitor's is that many entries from the right; anything
    before it was written by the client and can be forged. With no proxy (0) the header
    is ignored for the same reason, and so is an entry that is not an address."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = int(settings.TRUSTED_PROXY_COUNT)
    if proxies > 0:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            # Fewer entries than proxies: the request skipped the outer ones; the
            # first entry is still one that a proxy of ours wrote.
            address = _address(hops[-min(proxies, len(hops))])
            if address:
                return address
    return _address(remote) or remote


def _address(value: str) -> str:
    """An IP address without its port or brackets, or "" if `value` is none."""
    value = value.strip()
    if value.startswith("["):  # [2001:db8::1]:443
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:  # 192.0.2.1:5678
        value = value.partition(":")[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return ""


class AccountAdapter(DefaultAccountAdapter):
    """allauth's adapter, with the visitor's address read by `client_ip` (its sign-in,
    sign-up and password-reset rate limits count per address)."""

    def get_client_ip(self, request) -> str:
        address = client_ip(request)
        if not address:
            raise PermissionDenied("Adresse du visiteur inconnue.")
        return address


def lockout_response(request, original_response=None, credentials=None):
    """The page shown, in French, once a sign-in is locked (HTTP 429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "security/lockout.html",
        {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
