from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "family_portal.reminders"
    label = "reminders"
    verbose_name = "Relances des factures impayées"
    default_auto_field = "django.db.models.BigAutoField"
