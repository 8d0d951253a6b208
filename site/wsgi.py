"""WSGI entry point (gunicorn portail_site.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portail_site.settings")

application = get_wsgi_application()


def _verify_production_site():
    """Production refuses to start while the site's address is local or plain HTTP: every
    certificate it printed would carry a wrong link."""
    from django.conf import settings

    if settings.PRODUCTION:
        from django.db import connections

        from home.site_url import verify_production_site

        try:
            verify_production_site()
        finally:
            connections.close_all()  # never share the master's connection with workers


_verify_production_site()
