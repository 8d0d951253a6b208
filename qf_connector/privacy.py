"""Keeps the query string (it holds the identity) out of the HTTP libraries' log records."""

from __future__ import annotations

import logging
import re

import httpx

# Anything after "?" in a URL-looking token, up to a blank or a quote.
_QUERY_RE = re.compile(r"(https?://[^\s?\"']*|/[^\s?\"']*)\?[^\s\"']*")
REDACTED = "?[masqué]"


def strip_query(url: str | httpx.URL) -> str:
    """The URL without its query string (used in every log line and stored row)."""
    if isinstance(url, httpx.URL):
        return str(url.copy_with(query=None))
    return str(url).split("?", 1)[0]


def redact(value: object) -> object:
    if isinstance(value, httpx.URL):
        return strip_query(value) + (REDACTED if value.query else "")
    if isinstance(value, bytes):
        return _QUERY_RE.sub(lambda m: m.group(1) + REDACTED, value.decode("latin-1"))
    if isinstance(value, str) and "?" in value:
        return _QUERY_RE.sub(lambda m: m.group(1) + REDACTED, value)
    return value


class RedactQueryFilter(logging.Filter):
    """httpx logs ``HTTP Request: GET <full URL>`` at INFO: rewrite such records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "?" in record.msg:
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: redact(arg) for key, arg in record.args.items()}
        return True


_installed = False


def install_log_redaction() -> None:
    """Attach the filter to the loggers of httpx and httpcore (idempotent)."""
    global _installed
    if _installed:
        return
    redaction = RedactQueryFilter()
    for name in (
        "httpx",
        "httpcore",
        "httpcore.http11",
        "httpcore.http2",
        "httpcore.connection",
        "httpcore.proxy",
    ):
        logging.getLogger(name).addFilter(redaction)
    _installed = True
