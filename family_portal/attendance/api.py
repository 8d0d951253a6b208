"""The JSON the check-in page reads and sends: a list's state (each child's status,
arrival and departure with the time of the tap that set them) and batches of taps.
Both answer JSON errors (never a sign-in page) so that the page keeps its taps and says
what to do; sending is CSRF-protected like any form."""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .groups import can_check_in, manages_attendance
from .services import check_session, check_site, day_list
from .taps import TapError, record_taps


def _refusal(request):
    if not request.user.is_authenticated:
        return JsonResponse(
            {
                "error": "Vous n'êtes plus connecté : reconnectez-vous pour envoyer les pointages."
            },
            status=401,
        )
    if not (can_check_in(request.user) or manages_attendance(request.user)):
        return JsonResponse({"error": "Réservé aux animateurs."}, status=403)
    return None


@never_cache
def state(request, site_id, session_id, day):
    refusal = _refusal(request)
    if refusal:
        return refusal
    try:
        site = check_site(request.user, site_id)
        session = check_session(site, session_id)
    except PermissionDenied:
        return JsonResponse({"error": "Vous n'êtes pas affecté à ce lieu."}, status=403)
    except Http404:
        return JsonResponse({"error": "Liste introuvable."}, status=404)
    listed = day_list(site, session, day)
    return JsonResponse(
        {
            "children": listed.states(),
            "counts": listed.counts(),
            "closed": listed.closed,
            # What the service worker keeps with the list (static/attendance/sw.js).
            "photos": listed.photo_urls(),
        }
    )


@require_POST
def taps(request):
    refusal = _refusal(request)
    if refusal:
        return refusal
    try:
        payload = json.loads(request.body or b"null")
        results = record_taps(
            request.user, payload.get("taps") if isinstance(payload, dict) else None
        )
    except (ValueError, TapError) as error:
        message = (
            str(error)
            if isinstance(error, TapError)
            else "Envoi illisible (JSON attendu)."
        )
        return JsonResponse({"error": message}, status=400)
    return JsonResponse({"results": [result.as_json() for result in results]})
