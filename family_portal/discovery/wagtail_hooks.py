from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from wagtail import hooks

from home.models import HOME_PAGE_CONTEXT_HOOK

from . import showcase


@hooks.register(HOME_PAGE_CONTEXT_HOOK)
def highlighted_activities(home, request, context):
    today = timezone.localdate()
    context["highlights"] = SimpleLazyObject(lambda: showcase.highlights(home, today))
