"""FranceConnect's URLs, under allauth's (``compte/``): allauth includes this module for
the provider. The callback is the redirect URI declared to FranceConnect, and
``logged_out`` its post-logout redirect URI."""

from django.urls import path

from . import provider, views

urlpatterns = [
    path("franceconnect/connexion/", provider.login, name="franceconnect_login"),
    path(
        "franceconnect/connexion/retour/",
        provider.callback,
        name="franceconnect_callback",
    ),
    path("franceconnect/liaison/", views.link, name="franceconnect_link"),
    path(
        "franceconnect/deconnexion/", views.logged_out, name="franceconnect_logged_out"
    ),
]
