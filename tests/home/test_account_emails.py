"""The e-mails allauth sends are the commune's own: French, its name in the subject and
the signature, the site's real address, HTML with a plain-text part; never allauth's
"Bonjour, c'est 127.0.0.1:8300 !"."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail

from home.models import CommuneSettings

pytestmark = pytest.mark.django_db

PASSWORD = "Un-mot-de-passe-solide-42"
TEMPLATES_USED = [
    "email_confirmation_signup",
    "email_confirmation",
    "password_reset_key",
    "unknown_account",
    "account_already_exists",
    "login_code",
    "password_reset_code",
    "password_changed",
    "password_set",
    "password_reset",
    "email_changed",
    "email_confirm",
    "email_deleted",
]


@pytest.fixture
def commune(home_page):
    settings_ = CommuneSettings.for_site(home_page.get_site())
    settings_.name = "Ville de Test"
    settings_.save()
    return settings_


@pytest.fixture
def parent(db):
    user = get_user_model().objects.create_user(
        username="parent", email="anne@example.org", password=PASSWORD
    )
    EmailAddress.objects.create(
        user=user, email=user.email, verified=True, primary=True
    )
    return user


def assert_the_communes_own(message, *, subject):
    assert message.subject == f"[Ville de Test] {subject}"
    body = message.body
    assert body.startswith("Bonjour,")
    assert "Ville de Test" in body
    assert "127.0.0.1" not in body.split("\n", 1)[0]
    assert "c'est" not in body and "Hello" not in body and "Thank you" not in body
    assert "http://testserver/" in body  # the address actually served
    [(html, mime)] = message.alternatives
    assert mime == "text/html"
    assert '<html lang="fr">' in html
    assert "Ville de Test" in html
    return body, html


def test_sign_up_sends_a_french_confirmation(client, commune):
    client.post(
        "/compte/signup/",
        {"email": "nouveau@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    [message] = mail.outbox
    body, html = assert_the_communes_own(
        message, subject="Confirmez votre adresse électronique"
    )
    link = re.search(r"http://testserver/compte/confirm-email/\S+", body).group(0)
    assert f'href="{link}"' in html


def test_sign_up_with_a_known_address_says_the_account_exists(client, commune, parent):
    client.post(
        "/compte/signup/",
        {"email": parent.email, "password1": PASSWORD, "password2": PASSWORD},
    )
    [message] = mail.outbox
    body, _ = assert_the_communes_own(message, subject="Vous avez déjà un compte")
    assert "http://testserver/compte/password/reset/" in body


def test_password_reset_for_a_known_and_an_unknown_address(client, commune, parent):
    client.post("/compte/password/reset/", {"email": parent.email})
    client.post("/compte/password/reset/", {"email": "inconnu@example.org"})
    reset, unknown = mail.outbox
    body, _ = assert_the_communes_own(
        reset, subject="Choisissez un nouveau mot de passe"
    )
    assert "/compte/password/reset/key/" in body
    assert "parent" not in body.replace("parent@", "")  # no user name
    body, _ = assert_the_communes_own(unknown, subject="Aucun compte à cette adresse")
    assert "inconnu@example.org" in body and "http://testserver/compte/signup/" in body


def test_a_changed_password_is_notified(client, commune, parent):
    client.force_login(parent)
    client.post(
        "/compte/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": PASSWORD + "!",
            "password2": PASSWORD + "!",
        },
    )
    [message] = mail.outbox
    body, _ = assert_the_communes_own(
        message, subject="Votre mot de passe a été changé"
    )
    assert "changement" in body


@pytest.mark.parametrize("name", TEMPLATES_USED)
def test_every_allauth_e_mail_has_a_subject_a_text_and_an_html_part(name):
    from django.conf import settings
    from django.template.loader import get_template

    ours = str(settings.BASE_DIR / "templates" / "account" / "email")
    for suffix in ("_subject.txt", "_message.txt", "_message.html"):
        template = get_template(f"account/email/{name}{suffix}")
        assert str(template.origin.name).startswith(ours), (
            f"{name}{suffix} is allauth's own"
        )
