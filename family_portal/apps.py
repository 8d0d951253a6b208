from django.apps import AppConfig


class FamilyPortalConfig(AppConfig):
    name = "family_portal"
    verbose_name = "Portail Famille"

    def ready(self):
        # The certificates listen to the enrolments' tariff changes.
        from django.contrib.auth.signals import user_logged_out

        from .certificates import receivers  # noqa: F401
        from .wizard_files import on_logout

        # Signing out empties the session: its wizards' files go with it.
        user_logged_out.connect(on_logout, dispatch_uid="family_portal.wizard_files")
