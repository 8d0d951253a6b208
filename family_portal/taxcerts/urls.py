from django.urls import path

from . import views

app_name = "taxcerts"

urlpatterns = [
    path("<str:pk>/pdf/", views.certificate_pdf, name="pdf"),
]
