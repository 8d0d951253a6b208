"""What the back-office screens share: the page layout and the commune of the request."""

from __future__ import annotations

from django.template.response import TemplateResponse

from home.models import CommuneSettings

DOCUMENT_QUEUE = "family_portal_qfdocument_modeladmin_index"


def render(request, template, title, context=None, *, icon="group", subtitle=""):
    return TemplateResponse(
        request,
        f"backoffice/{template}",
        {
            "page_title": title,
            "page_subtitle": subtitle,
            "header_icon": icon,
            **(context or {}),
        },
    )


def commune_of(request):
    return CommuneSettings.for_request(request)


def posted(request):
    """The submitted data on a POST, None on a GET (an unbound form)."""
    return request.POST if request.method == "POST" else None
