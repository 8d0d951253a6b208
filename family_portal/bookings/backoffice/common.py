"""What the bookings' admin screens share: the page layout of the back-office."""

from __future__ import annotations

from django.template.response import TemplateResponse


def render(
    request, template, title, context=None, *, icon="date", subtitle="", status=200
):
    """``templates/bookings/admin/<template>``, in the back-office's layout."""
    return TemplateResponse(
        request,
        f"bookings/admin/{template}",
        {
            "page_title": title,
            "page_subtitle": subtitle,
            "header_icon": icon,
            **(context or {}),
        },
        status=status,
    )


def parse_id(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None
