"""French as parents read it: "1er" for the first of a month wherever dates are shown,
one unit for file sizes ("Mo"), the délibération named once, wording without a gender
to guess, and a sign-in message that never shows the made-up user name."""

import datetime

import pytest
from django.template import Context, Template

from activities.pricing.formatting import deliberation_label
from family_portal.models import Enrolment
from home.french import file_size, french_date
from tests.family_portal.factories import FamilyFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("day", "format_string", "expected"),
    [
        (datetime.date(2026, 9, 1), "j F Y", "1er septembre 2026"),
        (datetime.date(2026, 9, 2), "j F Y", "2 septembre 2026"),
        (datetime.date(2026, 9, 21), "j F Y", "21 septembre 2026"),
        (
            datetime.datetime(2026, 9, 1, 8, 30),
            "j F Y à H:i",
            "1er septembre 2026 à 08:30",
        ),
        (datetime.date(2026, 9, 1), r"\j j", "j 1er"),
    ],
)
def test_dates_say_1er(day, format_string, expected):
    assert french_date(day, format_string) == expected


def test_the_date_filter_is_in_every_template_without_loading():
    rendered = Template("{{ day|date_fr }} ; {{ size|file_size }}").render(
        Context({"day": datetime.date(2027, 1, 1), "size": 3 * 1024 * 1024})
    )
    assert rendered == "1er janvier 2027 ; 3\u00a0Mo"


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (3 * 1024 * 1024, "3\u00a0Mo"),
        (int(2.5 * 1024 * 1024), "2,5\u00a0Mo"),
        (2048, "2\u00a0Ko"),
        (5 * 1024**3, "5\u00a0Go"),
        (120, "120\u00a0octets"),
    ],
)
def test_file_sizes_in_mo(size, expected):
    assert file_size(size) == expected


def test_no_template_or_code_shows_mio_or_django_date_for_days():
    """Every day shown in French goes through date_fr (Django's `date` says "1
    septembre"); every size through file_size (Django's filesizeformat says "Mio")."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    offenders = []
    for path in [*root.glob("templates/**/*.html"), *root.glob("templates/**/*.txt")]:
        text = path.read_text()
        if '|date:"j' in text or "|date:'j" in text or "filesizeformat" in text:
            offenders.append(str(path.relative_to(root)))
    for path in root.glob("*/**/*.py"):
        if ".venv" in path.parts or "tests" in path.parts:
            continue
        text = path.read_text()
        if "filesizeformat" in text or 'date_format(value, "j' in text:
            offenders.append(str(path.relative_to(root)))
    assert offenders == []


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("délibération 2025", "Délibération n°\u00a02025"),
        ("Délibération n° 2025-12", "Délibération n°\u00a02025-12"),
        ("2024-057", "Délibération n°\u00a02024-057"),
        ("DCM 2026-031", "Délibération n°\u00a0DCM 2026-031"),
        ("délibération tarifs restauration", "Délibération tarifs restauration"),
    ],
)
def test_the_deliberation_is_named_once(reference, expected):
    assert deliberation_label(reference) == expected


def test_enrolment_statuses_need_no_gender():
    labels = dict(Enrolment.Status.choices)
    assert labels["confirmed"] == "Inscription confirmée"
    assert labels["cancelled"] == "Inscription annulée"
    for label in labels.values():
        assert "Inscrit" not in label and "(e)" not in label


def test_the_sign_in_message_names_the_e_mail_not_the_user_name(client, home_page):
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        username="parent", email="anne.giraud@example.org", password="mot-de-passe-42!"
    )
    EmailAddress.objects.create(
        user=user, email=user.email, verified=True, primary=True
    )
    FamilyFactory(users=[user])
    response = client.post(
        "/compte/login/",
        {"login": user.email, "password": "mot-de-passe-42!"},
        follow=True,
    )
    messages = [str(message) for message in response.context["messages"]]
    assert messages, "no sign-in message"
    assert all("parent " not in message for message in messages), messages
    assert any("anne.giraud@example.org" in message for message in messages), messages
