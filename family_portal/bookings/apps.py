from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "family_portal.bookings"
    label = "bookings"
    verbose_name = "Réservations"
