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

        # A child deleted (or its family): the photo's file goes too.
        from django.db.models.signals import post_delete

        from .child_photos import delete_photo_file
        from .models import Child

        post_delete.connect(
            delete_photo_file, sender=Child, dispatch_uid="family_portal.child_photo"
        )
