"""gunicorn's access log without personal data or secrets (`logger_class` in
site/gunicorn.conf.py).

A query string may hold what a person typed: an agent's search for a family, a parent's
search of the site, the references of an enrolment. Some paths hold a secret: the family
calendar feed's token, a certificate's verification token, the keys of the password-reset
and e-mail confirmation links. The access log keeps the method, the path with those
secrets masked, a marker that there was a query string, the status and the timings; the
same rules apply to the Referer (the previous page's address) and to any header or WSGI
variable a custom `access_log_format` names. Cookies and credentials are never written.
The rules live in site/log_filters.py, which applies them to Django's own request logs
too; API Particulier's calls are kept out of the logs the same way (qf_connector/privacy.py).
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from .log_filters import MASK, SECRET_FIELDS, private_path, private_url


class PrivateAccessLogger(Logger):
    """gunicorn's logger, whose access-log atoms hold no query string or secret."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        raw_uri = environ.get("RAW_URI") or environ.get("PATH_INFO") or ""
        atoms["r"] = "{} {} {}".format(
            environ.get("REQUEST_METHOD"),
            private_url(raw_uri),
            environ.get("SERVER_PROTOCOL"),
        )
        atoms["U"] = private_path(environ.get("PATH_INFO") or "")
        atoms["q"] = MASK if environ.get("QUERY_STRING") else ""
        atoms["f"] = private_url(environ.get("HTTP_REFERER", "-"))
        for key, value in list(atoms.items()):
            if not (key.startswith("{") and isinstance(value, str)):
                continue
            name = key[1:-2]
            if name in SECRET_FIELDS:
                atoms[key] = MASK
            elif name == "query_string":
                atoms[key] = MASK if value else ""
            elif value.startswith("/") or "://" in value:
                atoms[key] = private_url(value)
        return atoms
