from django.apps import AppConfig


class FamilyPortalConfig(AppConfig):
    name = "family_portal"
    verbose_name = "Portail Famille"

    def ready(self):
        # The certificates listen to the enrolments' tariff changes.
        from .certificates import receivers  # noqa: F401
