from tests.franceconnect.support import fc_provider, franceconnect  # noqa: F401
