from django.apps import AppConfig


class TaxCertificatesConfig(AppConfig):
    name = "family_portal.taxcerts"
    label = "taxcerts"
    verbose_name = "Attestations fiscales"
    default_auto_field = "django.db.models.BigAutoField"
