"""The public site's caches: whole pages for anonymous visitors, and the layout's fragments.

Both layers live in the default cache (Redis when REDIS_URL is set, local memory
otherwise) and share one *generation* token, replaced whenever something the public
site shows changes: a page published, unpublished, moved or deleted, or a saved instance
of a model listed in ``PAGE_CACHE_INVALIDATING_MODELS`` (the commune's settings, the
sites, the barèmes). Keys name the generation, so replacing it retires every entry at
once; nothing has to be found and deleted.

- ``AnonymousPageCacheMiddleware`` keeps the responses of Wagtail's page view for
  visitors who carry no cookie but the CSRF one (so no session: nobody signed in), for
  GET without a query string (the activity filters and the price simulator are always
  computed), and only when the response sets no cookie and allows caching. The family
  space, the accounts, the admin and the documents are never Wagtail pages: they are
  never stored. A cache hit costs two cache reads and no database query.
- Templates wrap the menu, the breadcrumb, the footer and page bodies in
  ``{% wagtailcache %}`` / ``{% wagtailpagecache %}`` with ``page_cache.generation``
  among the values they vary on (see ``context``); signed-in parents and simulator
  requests, which skip the page cache, still reuse those fragments.

With local memory each gunicorn worker keeps its own cache, and its own generation: a
publication retires the entries of the worker that handled it at once, the others'
within ``PAGE_CACHE_SECONDS``. Production uses Redis, shared by every worker.
"""

from __future__ import annotations

import hashlib
import uuid

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from wagtail.models import Page
from wagtail.signals import page_published, page_unpublished, post_page_move

GENERATION_KEY = "page-cache:generation"
# Never Wagtail pages; skipping them here spares the cache read.
UNCACHED_PREFIXES = (
    "/admin/",
    "/compte/",
    "/espace-famille/",
    "/documents/",
    "/static/",
    "/media/",
)
HIT_HEADER = "X-Page-Cache"


def timeout() -> int:
    """Seconds an entry lives; 0 turns both layers off."""
    return int(getattr(settings, "PAGE_CACHE_SECONDS", 0) or 0)


def generation() -> str:
    """The current generation; a fresh random one if the cache lost it (a restart, an
    eviction), so that entries of an older generation can never come back."""
    current = cache.get(GENERATION_KEY)
    if current is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        current = cache.get(GENERATION_KEY)
    return current


def invalidate(**kwargs) -> None:
    """Retire every cached page and fragment (a signal receiver, hence ``**kwargs``)."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def _invalidate_on_page_delete(sender, instance, **kwargs):
    if isinstance(instance, Page):
        invalidate()


def connect_signals() -> None:
    """Called once from ``HomeConfig.ready``."""
    for signal in (page_published, page_unpublished, post_page_move):
        signal.connect(invalidate, dispatch_uid=f"page-cache-{id(signal)}")
    post_delete.connect(_invalidate_on_page_delete, dispatch_uid="page-cache-delete")
    for label in getattr(settings, "PAGE_CACHE_INVALIDATING_MODELS", []):
        model = apps.get_model(label)
        for signal in (post_save, post_delete):
            signal.connect(
                invalidate,
                sender=model,
                dispatch_uid=f"page-cache-{label}-{id(signal)}",
            )


# -- whole pages ----------------------------------------------------------------------


def request_is_cacheable(request) -> bool:
    return (
        request.method == "GET"
        and not request.META.get("QUERY_STRING")
        and not request.META.get("HTTP_AUTHORIZATION")
        and set(request.COOKIES) <= {settings.CSRF_COOKIE_NAME}
        and not request.path_info.startswith(UNCACHED_PREFIXES)
    )


def response_is_cacheable(request, response) -> bool:
    match = getattr(request, "resolver_match", None)
    user = getattr(request, "user", None)
    cache_control = response.get("Cache-Control", "").lower()
    return (
        match is not None
        and match.url_name == "wagtail_serve"
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not getattr(request, "is_preview", False)
        and not (user is not None and user.is_authenticated)
        and not any(
            word in cache_control for word in ("private", "no-cache", "no-store")
        )
    )


def page_key(request) -> str:
    # The day is part of the key: activity pages say whether enrolments are open today.
    url = f"{request.scheme}://{request.get_host()}{request.path}"
    digest = hashlib.blake2b(url.encode(), digest_size=16).hexdigest()
    return f"page-cache:{generation()}:{timezone.localdate().isoformat()}:{digest}"


class AnonymousPageCacheMiddleware:
    """Whole Wagtail pages for anonymous visitors; goes right after WhiteNoise."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = timeout()
        if not seconds or not request_is_cacheable(request):
            return self.get_response(request)
        key = page_key(request)
        stored = cache.get(key)
        if stored is not None:
            status, headers, content = stored
            response = HttpResponse(content, status=status, headers=headers)
            response[HIT_HEADER] = "hit"
            return response
        response = self.get_response(request)
        if response_is_cacheable(request, response):
            # Served again to requests that carry no session: say so to any proxy.
            patch_vary_headers(response, ("Cookie",))
            headers = {
                name: value
                for name, value in response.items()
                if name.lower() != HIT_HEADER.lower()
            }
            cache.set(key, (response.status_code, headers, response.content), seconds)
            response[HIT_HEADER] = "miss"
        return response


# -- fragments ------------------------------------------------------------------------


class FragmentCacheContext:
    """``page_cache`` in templates: ``{% wagtailcache page_cache.seconds "name"
    page_cache.generation ... %}``. The generation is read once per request, and
    only when a fragment asks for it."""

    def __init__(self, request):
        self.request = request

    @property
    def seconds(self) -> int:
        return timeout()

    @property
    def generation(self) -> str:
        request = self.request
        if request is None:
            return generation()
        if not hasattr(request, "_page_cache_generation"):
            request._page_cache_generation = generation()
        return request._page_cache_generation

    @property
    def today(self) -> str:
        return timezone.localdate().isoformat()


def context(request):
    """Template context processor."""
    return {"page_cache": FragmentCacheContext(request)}
