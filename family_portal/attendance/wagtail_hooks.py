"""Attendance in the Wagtail admin: the sites (with their services and animateurs) as
snippets, and the agents' month screens under /admin/presences/, for users holding
``attendance.manage_attendance``."""

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import admin_urls
from .groups import manages_attendance
from .models import AttendanceSite


class AttendanceSiteViewSet(SnippetViewSet):
    model = AttendanceSite
    icon = "home"
    menu_label = "Lieux d'accueil"
    add_to_admin_menu = False
    list_display = ["name", "address"]
    search_fields = ["name", "address"]


register_snippet(AttendanceSiteViewSet)


class AttendanceMenuItem(MenuItem):
    def is_shown(self, request):
        return manages_attendance(request.user)


@hooks.register("register_admin_urls")
def register_attendance_urls():
    return [path("presences/", include(admin_urls, namespace="attendance_admin"))]


@hooks.register("register_admin_menu_item")
def register_attendance_menu_item():
    return AttendanceMenuItem(
        "Présences", reverse("attendance_admin:services"), icon_name="tick", order=210
    )
