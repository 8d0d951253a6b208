from django.apps import AppConfig


class FranceConnectConfig(AppConfig):
    name = "family_portal.franceconnect"
    label = "franceconnect"
    verbose_name = "FranceConnect"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import receivers  # noqa: F401 - connects the receivers
