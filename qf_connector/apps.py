from django.apps import AppConfig


class QfConnectorConfig(AppConfig):
    name = "qf_connector"
    verbose_name = "API Particulier"
