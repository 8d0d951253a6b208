"""Fixtures of the performance tests: the family-portal scene (canteen, Giraud family,
fake API Particulier) and helpers that count queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.family_portal.conftest import (  # noqa: F401
    api_particulier,
    canteen,
    fake_api,
    giraud_family,
)


class QueryCount:
    """The queries of one request, and the request's response."""

    def __init__(self, client):
        self.client = client

    def __call__(self, method, url, data=None, **extra):
        with CaptureQueriesContext(connection) as context:
            response = getattr(self.client, method)(url, data or {}, **extra)
        return len(context.captured_queries), response


@pytest.fixture
def no_page_cache(settings):
    """The site without its caches: every query, every template (the worst case)."""
    settings.PAGE_CACHE_SECONDS = 0
