from django.urls import path

from . import views

app_name = "bookings"

urlpatterns = [
    path("<int:enrolment_id>/", views.calendar, name="calendar"),
    path("<int:enrolment_id>/resultat/", views.result, name="result"),
    path("absence/", views.absence, name="absence"),
    path("agenda/", views.feed_settings, name="feed_settings"),
    path("agenda/<str:token>.ics", views.feed, name="feed"),
]
