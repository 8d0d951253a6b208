from django.urls import path

from . import views

app_name = "directdebit"

urlpatterns = [
    path("", views.mandate, name="mandate"),
    path("signer/", views.mandate_sign, name="sign"),
    path("<str:pk>/revoquer/", views.mandate_revoke, name="revoke"),
]
