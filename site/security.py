"""Security plumbing: one Content-Security-Policy per area of the site, and the sign-in
lockout (django-axes) shared by the Wagtail admin and the parents' allauth sign-in."""

from functools import cache

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.shortcuts import render
from django.urls import reverse


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
        return parts


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


def client_ip(request):
    """The visitor's address. Behind our reverse proxy (`TRUST_X_FORWARDED_FOR`), it is the
    last one the proxy appended to X-Forwarded-For: earlier entries come from the client
    and can be forged. Without a proxy the header is ignored for the same reason."""
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR", "")


def lockout_response(request, original_response=None, credentials=None):
    """The page shown, in French, once a sign-in is locked (HTTP 429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "security/lockout.html",
        {"minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
