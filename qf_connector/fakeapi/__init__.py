"""A fake API Particulier (quotient familial routes) serving the official staging cases.

Run it with ``python -m qf_connector.fakeapi --port 8081 --cases DIR …``; start it from
tests with ``qf_connector.fakeapi.testing``. Standard library and PyYAML only: no
Django import anywhere in this package.
"""

from .cases import DEMO_ALLOCATAIRE, DEMO_CASE_FILE, DEMO_QUERY, CaseBook
from .faults import Fault
from .server import (
    DEFAULT_RATE_LIMIT,
    DEFAULT_TOKEN,
    FakeApi,
    FakeApiServer,
    create_server,
)

__all__ = [
    "DEFAULT_RATE_LIMIT",
    "DEFAULT_TOKEN",
    "DEMO_ALLOCATAIRE",
    "DEMO_CASE_FILE",
    "DEMO_QUERY",
    "CaseBook",
    "FakeApi",
    "FakeApiServer",
    "Fault",
    "create_server",
]
