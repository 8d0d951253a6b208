"""Logging filters that keep personal data out of the logs, whatever the log level, and
the rules that keep query strings and secret paths out of the request logs (gunicorn's
access log, site/access_log.py; Django's request and development-server logs here)."""

import logging
import re
from urllib.parse import urlsplit, urlunsplit

MASK = "[masqué]"

# Path segments that are secrets, as the URLconfs build them (site/urls.py and the apps'
# urls.py): group 1 is kept, the secret after it is masked, group 2 (a suffix) kept.
# tests/home/test_access_log.py reverses each of these routes and checks its secret is gone.
SECRET_PATHS = [
    # family_portal.bookings: the family's calendar feed, read by calendar applications.
    re.compile(r"^(/espace-famille/reservations/agenda/)[^/]+?(\.ics)?$"),
    # family_portal.certificates: the QR code's verification link.
    re.compile(r"^(/attestations/verifier/[^/]+/)[^/]+(/?)"),
    # allauth: the e-mail confirmation and password-reset links sent to parents.
    re.compile(r"^(/compte/confirm-email/)[^/]+(/?)"),
    re.compile(r"^(/compte/password/reset/key/)(?!done/)[^/]+(/?)"),
    # Wagtail admin: the agents' and editors' password-reset link.
    re.compile(r"^(/admin/password_reset/confirm/)[^/]+/[^/]+(/?)"),
]

# Headers and WSGI variables that carry credentials: masked whatever their value.
SECRET_FIELDS = {
    "authorization",
    "cookie",
    "set-cookie",
    "proxy-authorization",
    "x-csrftoken",
    "http_authorization",
    "http_cookie",
    "http_proxy_authorization",
    "http_x_csrftoken",
}


def private_path(path: str) -> str:
    """The path with its secret segments masked."""
    for pattern in SECRET_PATHS:
        match = pattern.match(path)
        if match:
            suffix = match.group(2) or ""
            return match.group(1) + MASK + suffix + path[match.end() :]
    return path


def private_url(value: str) -> str:
    """A path, a path with its query string, or a whole URL (a Referer, a Location),
    with secrets masked and the query string replaced by a marker."""
    if not value or value == "-":
        return value
    try:
        parts = urlsplit(value)
    except ValueError:
        return MASK
    query = "?" + MASK if parts.query or value.endswith("?") else ""
    path = private_path(parts.path)
    return urlunsplit((parts.scheme, parts.netloc, path, "", "")) + query


# A path or URL inside a log message: `"GET /admin/?q=Dupont HTTP/1.1"` (runserver's
# django.server), `Not Found: /espace-famille/reservations/agenda/<token>.ics`.
_URL_IN_TEXT = re.compile(r"(?:https?://[^\s\"']+|/[^\s\"']*)")


class PrivateRequestPaths(logging.Filter):
    """Django's request logs (`django.request`: 4xx and 5xx, `django.server`: each
    request of runserver) with the rules of the access log: no query string, no secret
    of a path."""

    def filter(self, record: logging.LogRecord) -> bool:
        def private(value):
            if isinstance(value, str) and "/" in value:
                return _URL_IN_TEXT.sub(lambda m: private_url(m.group(0)), value)
            return value

        record.msg = private(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(private(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: private(arg) for key, arg in record.args.items()}
        return True


class DropTemplateContext(logging.Filter):
    """At DEBUG, Django logs each template variable it cannot resolve, with the
    exception, whose message holds the whole template context: a family, its guardians,
    the identity a parent typed in the wizard. Keep the message, drop the exception."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True
