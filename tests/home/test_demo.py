"""`manage.py load_demo` builds the demo commune once; a second run changes nothing."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from wagtail.models import Page, PageLogEntry, Revision, Site

from home.demo import DEMO_ACCOUNTS
from home.french import french_date
from home.models import CommuneSettings, HomePage


def snapshot():
    users = get_user_model().objects.order_by("username")
    return {
        "pages": list(
            Page.objects.order_by("path").values_list(
                "path", "title", "live", "latest_revision_id", "last_published_at"
            )
        ),
        "revisions": Revision.objects.count(),
        "log_entries": PageLogEntry.objects.count(),
        "sites": list(Site.objects.values_list("hostname", "root_page_id")),
        "settings": list(CommuneSettings.objects.values()),
        "users": [
            (u.username, u.password, sorted(g.name for g in u.groups.all()))
            for u in users
        ],
    }


@pytest.mark.django_db
def test_load_demo_is_idempotent(capsys):
    call_command("load_demo")
    first = snapshot()
    output = capsys.readouterr().out
    call_command("load_demo")
    assert snapshot() == first
    for account in DEMO_ACCOUNTS:
        assert account.username in output and account.password in output


@pytest.mark.django_db
def test_demo_commune(client):
    call_command("load_demo")
    site = Site.objects.get(is_default_site=True)
    assert isinstance(site.root_page.specific, HomePage)
    commune = CommuneSettings.for_site(site)
    assert commune.name == "Ville de Démo"
    commune.full_clean()  # the SIRET is valid
    assert commune.accessibility_page is not None
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Ville de Démo" in html
    # The home page is filled in: the editors' highlighted activities with their
    # windows and places left, and the three latest news of the demo, dated from today.
    assert len(site.root_page.specific.highlights.all()) == 3
    assert html.count("places restantes") >= 3
    assert "Inscriptions ouvertes jusqu'au" in html
    news = html[html.index('id="news-title"') :]
    assert news.count("<article>") == 3
    assert (
        french_date(timezone.localdate() - datetime.timedelta(days=2), "j F Y") in news
    )
    for account in DEMO_ACCOUNTS:
        assert client.login(username=account.username, password=account.password)
