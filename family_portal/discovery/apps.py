from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    name = "family_portal.discovery"
    label = "discovery"
    verbose_name = "Recherche et mise en avant"
