from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("", views.invoice_list, name="list"),
    path("<str:pk>/", views.invoice_detail, name="detail"),
    path("<str:pk>/pdf/", views.invoice_pdf, name="pdf"),
]
