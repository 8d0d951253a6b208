from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "family_portal.payments"
    label = "payments"
    verbose_name = "Paiements"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import receivers  # noqa: F401
