"""The load tests reuse the family-portal fixtures (an activity priced by a real grid).

They run in real transactions (`transaction=True`): the tables are emptied after each
test, Wagtail's root page with them; tests/conftest.py's root_page makes it again.
"""

from tests.family_portal.conftest import canteen  # noqa: F401 - a fixture, used by name
