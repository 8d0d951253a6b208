from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = "Activités et barèmes"

    def ready(self):
        # The page form lives in forms.py, which imports the models: attach it here.
        from .forms import ActivityPageForm
        from .models import ActivityPage

        ActivityPage.base_form_class = ActivityPageForm
