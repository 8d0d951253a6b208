from django.apps import AppConfig


class DirectDebitConfig(AppConfig):
    name = "family_portal.directdebit"
    label = "directdebit"
    verbose_name = "Prélèvement automatique"
    default_auto_field = "django.db.models.BigAutoField"
