from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = "Site de la commune"

    def ready(self):
        from . import checks  # noqa: F401 - registers the checks
        from .caching import connect_signals

        connect_signals()
