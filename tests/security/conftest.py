"""Fixtures of the security tests, shared with the family portal's tests."""

from tests.family_portal.backoffice_support import (  # noqa: F401 - fixtures
    agent_client_fixture,
    agent_fixture,
    editor_fixture,
    groups_fixture,
)
from tests.family_portal.conftest import (  # noqa: F401 - fixtures
    api_particulier,
    canteen,
    fake_api,
    giraud_family,
)
from tests.security.test_access_matrix import scene  # noqa: E402, F401 - fixture
