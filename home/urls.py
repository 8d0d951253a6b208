"""Commune and country suggestions, included by the root URLconf under `communes/`."""

from django.urls import path

from . import views_communes

app_name = "communes"

urlpatterns = [
    path("recherche/", views_communes.search_communes, name="search"),
    path("pays/", views_communes.search_countries, name="countries"),
]
