"""System checks of the home app."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import DatabaseError


@register(Tags.database)
def check_production_site_url(app_configs=None, databases=None, **kwargs):
    """home.E001 (with ``check --database default``): in production, the default site's
    address must be its public https address (the certificates' links use it)."""
    if not getattr(settings, "PRODUCTION", False) or not databases:
        return []
    from .site_url import production_problems

    try:
        problems = production_problems()
    except DatabaseError:  # tables not created yet: `migrate` comes first
        return []
    return [Error(problem, id="home.E001") for problem in problems]
