"""Fixtures of the qf_connector tests: the fake API Particulier over real loopback HTTP.

The server runs in a thread of the test process (``fake_api_server``, written with the
fake server); every test gets it reset (faults, statistics, rate-limit windows).
"""

from __future__ import annotations

import pytest

from qf_connector.client import QuotientClient
from qf_connector.fakeapi.testing import (
    DEFAULT_TOKEN,
    TEST_RECIPIENT,
    FakeApiControl,
    fake_api_server,
)
from qf_connector.resilience import Throttle

# Below the fake server's 20 requests/s, as the portal's own throttle would be.
TEST_RATE = 15.0


@pytest.fixture(scope="session")
def fake_api():
    with fake_api_server() as server:
        yield server


@pytest.fixture
def fake_api_url(fake_api):
    control = FakeApiControl(fake_api.base_url)
    control.reset()
    yield fake_api.base_url
    control.reset()


@pytest.fixture
def fake_api_control(fake_api_url):
    return FakeApiControl(fake_api_url)


@pytest.fixture
def shared_throttle():
    """One throttle for every client of a test, as one process has one. Not kept
    across tests: a test's 429 pauses it, and the server's windows are reset anyway."""
    return Throttle(rate=TEST_RATE)


@pytest.fixture
def qf_client_factory(fake_api_url, shared_throttle):
    """Clients on the fake server with short backoffs; closed after the test."""
    clients: list[QuotientClient] = []

    def make(**options) -> QuotientClient:
        options.setdefault("throttle", shared_throttle)
        options.setdefault("backoff_base", 0.01)
        options.setdefault("backoff_cap", 0.05)
        options.setdefault("failure_threshold", 1000)
        client = QuotientClient(
            options.pop("base_url", fake_api_url),
            options.pop("token", DEFAULT_TOKEN),
            options.pop("recipient", TEST_RECIPIENT),
            **options,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
