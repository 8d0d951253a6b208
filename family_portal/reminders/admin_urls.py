"""The reminders' admin URLs, mounted under /admin/relances/ by wagtail_hooks.py."""

from django.urls import path

from . import admin_views as views

app_name = "reminders_admin"

urlpatterns = [
    path("", views.overdue_list, name="overdue_list"),
    path("export.csv", views.overdue_export, name="overdue_export"),
]
