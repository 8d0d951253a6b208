from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BookingsConfig(AppConfig):
    name = "family_portal.bookings"
    label = "bookings"
    verbose_name = "Réservations"

    def ready(self):
        from .permissions import grant_after_migrate

        post_migrate.connect(grant_after_migrate, sender=self)
