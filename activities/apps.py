from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = "Activités et barèmes"

    def ready(self):
        from .document_columns import configure
        from .pricing.reader import LIMITS

        # A document's texts are held to the columns they end in.
        configure(LIMITS)
