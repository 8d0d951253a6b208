from django.urls import path

from . import backoffice
from .urls import DayConverter  # noqa: F401 - registers the "day" converter

app_name = "attendance_admin"

urlpatterns = [
    path("", backoffice.services, name="services"),
    path("<int:schedule_id>/<str:month>/", backoffice.month, name="month"),
    path("<int:schedule_id>/<str:month>/export.csv", backoffice.export, name="export"),
    path("<int:schedule_id>/<str:month>/cloturer/", backoffice.close, name="close"),
    path("<int:schedule_id>/<str:month>/rouvrir/", backoffice.reopen, name="reopen"),
    path(
        "corriger/<int:enrolment_id>/<int:session_id>/<day:day>/",
        backoffice.correct_mark,
        name="correct",
    ),
]
