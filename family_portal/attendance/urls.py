import datetime

from django.urls import path, register_converter

from . import api, views


class DayConverter:
    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError as error:
            raise ValueError(value) from error

    def to_url(self, value):
        return value if isinstance(value, str) else value.isoformat()


register_converter(DayConverter, "day")

app_name = "attendance"

urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.SignIn.as_view(), name="login"),
    path("deconnexion/", views.SignOut.as_view(), name="logout"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("hors-ligne/", views.offline, name="offline"),
    path("pointages/", api.taps, name="taps"),
    path("<int:site_id>/<int:session_id>/<day:day>/", views.check_in, name="list"),
    path(
        "<int:site_id>/<int:session_id>/<day:day>/etat.json",
        api.state,
        name="state",
    ),
    path("<int:site_id>/photos/<int:enrolment_id>.jpg", views.photo, name="photo"),
    path(
        "<int:site_id>/<int:session_id>/<day:day>/fermer/",
        views.close_session,
        name="close",
    ),
    path(
        "<int:site_id>/<int:session_id>/<day:day>/rouvrir/",
        views.undo_close_session,
        name="undo_close",
    ),
]
