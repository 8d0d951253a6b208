from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AttendanceConfig(AppConfig):
    name = "family_portal.attendance"
    label = "attendance"
    verbose_name = "Présences"

    def ready(self):
        from .groups import ensure_groups_after_migrate

        post_migrate.connect(ensure_groups_after_migrate, sender=self)
