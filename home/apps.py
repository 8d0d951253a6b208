from django.apps import AppConfig
from wagtail.users.apps import WagtailUsersAppConfig


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = "Site de la commune"

    def ready(self):
        from . import checks  # noqa: F401 - registers the checks
        from .caching import connect_signals

        connect_signals()


class WagtailUsersConfig(WagtailUsersAppConfig):
    """Wagtail's users app, whose forms check staff names (home/staff_accounts.py)."""

    user_viewset = "home.staff_accounts.UserViewSet"
