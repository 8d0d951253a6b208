"""The check-in pages for animateurs, under /pointage/: the day's lists of one's sites,
one list to tick (made to work offline by static/attendance/), and the session the
service could not run. Parents and anybody not in the "Animateurs" group get a 403."""

from __future__ import annotations

import datetime
from functools import wraps

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.cache import never_cache

from family_portal import child_photos
from family_portal.models import Child

from .closing import ClosingError, closure_in_force, undo_closure
from .closing import close_session as close_list
from .groups import can_check_in, manages_attendance
from .rendering import rows_html
from .services import (
    check_session,
    check_site,
    day_list,
    served_enrolment,
    sessions_on,
    sites_for,
)

LOGIN = reverse_lazy("attendance:login")


def animateurs_only(view):
    """Anonymous visitors sign in first; signed-in users without the check-in
    permission (parents) get a French 403 page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), LOGIN)
        if not (can_check_in(request.user) or manages_attendance(request.user)):
            return render(request, "attendance/refused.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


class SignIn(auth_views.LoginView):
    template_name = "attendance/login.html"
    redirect_authenticated_user = False

    def get_default_redirect_url(self):
        return reverse("attendance:home")


class SignOut(auth_views.LogoutView):
    next_page = LOGIN


def _day(request) -> datetime.date:
    try:
        return datetime.date.fromisoformat(request.GET.get("jour", ""))
    except ValueError:
        return timezone.localdate()


@never_cache
@animateurs_only
def home(request):
    """The sessions of the day at each of the user's sites."""
    day = _day(request)
    sites = [
        (site, sessions_on(site, day))
        for site in sites_for(request.user).prefetch_related("schedules")
    ]
    return render(
        request,
        "attendance/home.html",
        {
            "day": day,
            "today": timezone.localdate(),
            "previous": day - datetime.timedelta(days=1),
            "next": day + datetime.timedelta(days=1),
            "sites": sites,
        },
    )


@never_cache
@animateurs_only
def check_in(request, site_id, session_id, day):
    site = check_site(request.user, site_id)
    session = check_session(site, session_id)
    listed = day_list(site, session, day)
    return render(
        request,
        "attendance/list.html",
        {
            "listed": listed,
            "site": site,
            "session": session,
            "day": day,
            "activity": session.schedule.period.activity,
            "states": listed.states(),
            "future": day > timezone.localdate(),
            "rows": {
                name: rows_html(getattr(listed, name))
                for name in ("booked", "unbooked", "addable")
            },
        },
    )


@animateurs_only
def close_session(request, site_id, session_id, day):
    """The service did not run (strike, trip): one action closes the whole list."""
    site = check_site(request.user, site_id)
    session = check_session(site, session_id)
    back = reverse("attendance:list", args=[site.pk, session.pk, day])
    error = ""
    reason = ""
    if request.method == "POST":
        reason = request.POST.get("motif", "")
        try:
            closure = close_list(site, session, day, user=request.user, reason=reason)
        except ClosingError as problem:
            error = str(problem)
        else:
            messages.success(
                request,
                f"Séance notée comme non assurée : {closure.bookings_closed} "
                "réservation(s) fermée(s).",
            )
            return redirect(back)
    return render(
        request,
        "attendance/close.html",
        {
            "site": site,
            "session": session,
            "day": day,
            "back": back,
            "error": error,
            "reason": reason,
            "activity": session.schedule.period.activity,
        },
        status=400 if error else 200,
    )


@animateurs_only
def photo(request, site_id, enrolment_id):
    """A child's photo, for the animateurs of a site receiving the child (the list's
    rows link here); any other child is a 404, another site a 403."""
    site = check_site(request.user, site_id)
    enrolled = served_enrolment(site, enrolment_id)
    if enrolled is None or not enrolled.photo:
        raise Http404("Pas de photo pour cet enfant dans ce lieu.")
    return child_photos.photo_response(Child.objects.get(pk=enrolled.child_id))


@animateurs_only
def undo_close_session(request, site_id, session_id, day):
    """The service did run after all: undo the list's "service closed" (its bookings
    are booked again), with a reason, in the trail."""
    site = check_site(request.user, site_id)
    session = check_session(site, session_id)
    back = reverse("attendance:list", args=[site.pk, session.pk, day])
    closure = closure_in_force(site, session, day)
    if closure is None:
        messages.info(request, "Cette séance n'est pas notée comme non assurée.")
        return redirect(back)
    error = ""
    reason = ""
    if request.method == "POST":
        reason = request.POST.get("motif", "")
        try:
            restored = undo_closure(closure, user=request.user, reason=reason)
        except ClosingError as problem:
            error = str(problem)
        else:
            messages.success(
                request,
                f"Fermeture annulée : {restored} réservation(s) remise(s) à l'état "
                "« Réservé ».",
            )
            return redirect(back)
    return render(
        request,
        "attendance/reopen.html",
        {
            "site": site,
            "session": session,
            "day": day,
            "back": back,
            "closure": closure,
            "error": error,
            "reason": reason,
            "activity": session.schedule.period.activity,
        },
        status=400 if error else 200,
    )


def manifest(request):
    """The web app manifest that makes the check-in pages installable."""
    return JsonResponse(
        {
            "name": "Pointage des présences",
            "short_name": "Pointage",
            "lang": "fr",
            "start_url": reverse("attendance:home"),
            "scope": reverse("attendance:home"),
            "display": "standalone",
            "background_color": "#ffffff",
            "theme_color": "#0b5e55",
            "icons": [
                {
                    "src": static(f"attendance/icon-{size}.png"),
                    "sizes": f"{size}x{size}",
                    "type": "image/png",
                    "purpose": "any",
                }
                for size in (192, 512)
            ],
        },
        content_type="application/manifest+json",
    )


def service_worker(request):
    """The service worker, served from /pointage/ so that it controls these pages."""
    path = finders.find("attendance/sw.js")
    with open(path, encoding="utf-8") as source:
        script = source.read()
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


def offline(request):
    """What the service worker shows for a page it does not keep."""
    return render(request, "attendance/offline.html")
