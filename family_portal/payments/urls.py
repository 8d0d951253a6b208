from django.urls import path

from . import account, views

app_name = "payments"

urlpatterns = [
    path("facture/<int:pk>/payer-en-ligne/", views.pay_online, name="pay_online"),
    path("retour/", views.payment_return, name="return"),
    path("notification/", views.notification, name="notification"),
    path("compte/", account.account, name="account"),
    path("recus/<str:pk>/", account.receipt, name="receipt"),
]
