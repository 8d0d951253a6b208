"""JSON suggestions for the commune and country fields (static data, so cacheable by anyone)."""

from django.http import JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from . import communes
from .forms_fields import commune_hint, country_hint

# The data only change with a deployment; a day keeps browsers and proxies from asking again
# while a parent types, and a new vintage still shows the next day.
CACHE_SECONDS = 24 * 60 * 60
MAX_RESULTS = 20
MIN_LENGTH = 2
MAX_QUERY_LENGTH = 100


def _query_and_limit(request) -> tuple[str, int]:
    query = " ".join(request.GET.get("q", "").split())[:MAX_QUERY_LENGTH]
    try:
        limit = int(request.GET.get("limit", communes.DEFAULT_LIMIT))
    except ValueError:
        limit = communes.DEFAULT_LIMIT
    return query, max(1, min(limit, MAX_RESULTS))


@require_safe
@cache_control(public=True, max_age=CACHE_SECONDS)
def search_communes(request):
    """`GET ?q=orl` → `{"results": [{"value": "Orléans (45)", "code": "45234", …}]}`."""
    query, limit = _query_and_limit(request)
    found = communes.search(query, limit) if len(query) >= MIN_LENGTH else []
    return JsonResponse(
        {
            "results": [
                {
                    "value": communes.unique_label(commune),
                    "hint": commune_hint(commune),
                    "code": commune.code,
                    "name": commune.name,
                    "department": commune.department,
                    "kind": commune.kind.value,
                }
                for commune in found
            ]
        }
    )


@require_safe
@cache_control(public=True, max_age=CACHE_SECONDS)
def search_countries(request):
    """`GET ?q=alle` → `{"results": [{"value": "Allemagne", "code": "99109", …}]}`."""
    query, limit = _query_and_limit(request)
    found = communes.search_countries(query, limit) if len(query) >= MIN_LENGTH else []
    return JsonResponse(
        {
            "results": [
                {
                    "value": country.name,
                    "hint": country_hint(country),
                    "code": country.code,
                }
                for country in found
            ]
        }
    )
