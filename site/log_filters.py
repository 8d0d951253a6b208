"""Logging filters that keep personal data out of the logs, whatever the log level."""

import logging


class DropTemplateContext(logging.Filter):
    """At DEBUG, Django logs each template variable it cannot resolve, with the
    exception, whose message holds the whole template context: a family, its guardians,
    the identity a parent typed in the wizard. Keep the message, drop the exception."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True
