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
- The same middleware remembers where Wagtail's router found each page (the site, the
  page's type and id): the next request for that URL, signed in or not, loads the page
  in one query instead of finding the site and walking the tree (half of an uncached
  page's time).
- Templates wrap the menu, the breadcrumb, the footer and page bodies in
  ``{% wagtailcache %}`` / ``{% wagtailpagecache %}`` with ``page_cache.generation``
  among the values they vary on (see ``context``); signed-in parents and simulator
  requests, which skip the page cache, still reuse those fragments.
- Figures that change far more often than pages (the places left, with every
  enrolment) have a *token* of their own, replaced after each commit that changes them
  (``PAGE_CACHE_TOKENS``: the models whose saves and deletions do). A fragment that
  shows them varies on its token (``page_cache.tokens.places``); reading it marks the
  response too, and a stored page that read a token is served only while that token is
  unchanged (one more cache read). An enrolment thus retires the home page, and only
  the pages that show places left.

With local memory each gunicorn worker keeps its own cache, and its own generation: a
publication retires the entries of the worker that handled it at once, the others'
within ``PAGE_CACHE_SECONDS``. Production uses Redis, shared by every worker.
"""

from __future__ import annotations

import hashlib
import uuid

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from wagtail.models import Page, Site
from wagtail.signals import page_published, page_unpublished, post_page_move
from wagtail.url_routing import RouteResult

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


def request_generation(request) -> str:
    """The generation, read once per request."""
    if not hasattr(request, "_page_cache_generation"):
        request._page_cache_generation = generation()
    return request._page_cache_generation


def invalidate(**kwargs) -> None:
    """Retire every cached page and fragment (a signal receiver, hence ``**kwargs``)."""
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


# -- tokens ---------------------------------------------------------------------------


def _token_key(name: str) -> str:
    return f"page-cache:token:{name}"


def token(name: str) -> str:
    """The current value of the token ``name``; a fresh one if the cache lost it."""
    key = _token_key(name)
    current = cache.get(key)
    if current is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        current = cache.get(key)
    return current


def request_token(request, name: str) -> str:
    """The token, read once per request and remembered: the page rendered for this
    request is kept only with the values it was rendered with."""
    read = request.__dict__.setdefault("_page_cache_tokens", {})
    if name not in read:
        read[name] = token(name)
    return read[name]


def replace_token(name: str) -> None:
    cache.set(_token_key(name), uuid.uuid4().hex, timeout=None)


def _tokens_are_current(stored: dict[str, str]) -> bool:
    if not stored:
        return True
    current = cache.get_many([_token_key(name) for name in stored])
    return all(current.get(_token_key(name)) == value for name, value in stored.items())


def _invalidate_on_page_delete(sender, instance, **kwargs):
    if isinstance(instance, Page):
        invalidate()


def _token_receiver(name: str):
    def receiver(**kwargs):
        # After the commit: a page rendered meanwhile, with the figures of before,
        # would otherwise be stored under the new token.
        transaction.on_commit(lambda: replace_token(name))

    return receiver


_TOKEN_RECEIVERS = []  # signals keep weak references: keep the receivers alive


def connect_signals() -> None:
    """Called once from ``HomeConfig.ready``."""
    for name, labels in getattr(settings, "PAGE_CACHE_TOKENS", {}).items():
        receiver = _token_receiver(name)
        _TOKEN_RECEIVERS.append(receiver)
        for label in labels:
            model = apps.get_model(label)
            for signal in (post_save, post_delete):
                signal.connect(
                    receiver,
                    sender=model,
                    dispatch_uid=f"page-cache-token-{name}-{label}-{id(signal)}",
                )
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
    user = getattr(request, "user", None)
    cache_control = response.get("Cache-Control", "").lower()
    return (
        is_page_view(request)
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not getattr(request, "is_preview", False)
        and not (user is not None and user.is_authenticated)
        and not any(
            word in cache_control for word in ("private", "no-cache", "no-store")
        )
    )


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def page_key(request) -> str:
    # The day is part of the key: activity pages say whether enrolments are open today.
    url = f"{request.scheme}://{request.get_host()}{request.path}"
    day = timezone.localdate().isoformat()
    return f"page-cache:{request_generation(request)}:{day}:{_digest(url)}"


# -- routes ---------------------------------------------------------------------------


def route_key(request) -> str:
    url = f"{request.get_host()}{request.path}"
    return f"page-route:{request_generation(request)}:{_digest(url)}"


def restore_route(request, key) -> bool:
    """Hand Wagtail's page view the site and page found for this URL before: Wagtail
    reads them from ``request._wagtail_site`` and ``request._wagtail_route_for_request``
    (documented in ``Site.find_for_request`` and ``Page.route_for_request``)."""
    stored = cache.get(key)
    if stored is None:
        return False
    site, content_type_id, page_id = stored
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    page = model.objects.filter(pk=page_id, live=True).first() if model else None
    if page is None:
        return False
    request._wagtail_site = site
    request._wagtail_route_for_request = RouteResult(page)
    return True


def remember_route(request, key, seconds) -> None:
    route = getattr(request, "_wagtail_route_for_request", None)
    site = getattr(request, "_wagtail_site", None)
    if route is None or site is None or route.args or route.kwargs:
        return  # a sub-route of a routable page: left to Wagtail
    # A bare copy of the site: not its root page, loaded on the way.
    bare_site = Site(
        **{field.attname: getattr(site, field.attname) for field in Site._meta.fields}
    )
    cache.set(key, (bare_site, route.page.content_type_id, route.page.pk), seconds)


def is_page_view(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.url_name == "wagtail_serve"


class AnonymousPageCacheMiddleware:
    """Whole Wagtail pages for anonymous visitors, and the route of every page for
    everyone (signed in or not, with a query string or not); goes right after
    WhiteNoise, so that a cached page skips the session, authentication and the rest."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        seconds = timeout()
        if (
            not seconds
            or request.method not in ("GET", "HEAD")
            or request.path_info.startswith(UNCACHED_PREFIXES)
        ):
            return self.get_response(request)
        whole_page = request_is_cacheable(request)
        if whole_page:
            key = page_key(request)
            stored = cache.get(key)
            # (Entries stored before tokens existed have three items.)
            tokens = stored[3] if stored is not None and len(stored) > 3 else {}
            if stored is not None and _tokens_are_current(tokens):
                status, headers, content = stored[:3]
                response = HttpResponse(content, status=status, headers=headers)
                response[HIT_HEADER] = "hit"
                return response
        known_route = route_key(request)
        restored = restore_route(request, known_route)
        response = self.get_response(request)
        if not restored and response.status_code == 200 and is_page_view(request):
            remember_route(request, known_route, seconds)
        if whole_page and response_is_cacheable(request, response):
            # Served again to requests that carry no session: say so to any proxy.
            patch_vary_headers(response, ("Cookie",))
            headers = {
                name: value
                for name, value in response.items()
                if name.lower() != HIT_HEADER.lower()
            }
            tokens = getattr(request, "_page_cache_tokens", {})
            cache.set(
                key,
                (response.status_code, headers, response.content, tokens),
                seconds,
            )
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
        return request_generation(self.request)

    @property
    def today(self) -> str:
        return timezone.localdate().isoformat()

    @property
    def tokens(self) -> TokenReader:
        return TokenReader(self.request)


class TokenReader:
    """``page_cache.tokens.places``: the token's value, remembered for the request."""

    def __init__(self, request):
        self.request = request

    def __getitem__(self, name: str) -> str:
        if name not in getattr(settings, "PAGE_CACHE_TOKENS", {}):
            raise KeyError(name)
        return request_token(self.request, name)


def context(request):
    """Template context processor."""
    return {"page_cache": FragmentCacheContext(request)}
