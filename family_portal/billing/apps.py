from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "family_portal.billing"
    label = "billing"
    verbose_name = "Facturation"
