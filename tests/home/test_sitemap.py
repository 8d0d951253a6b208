"""/sitemap.xml lists the public pages (wagtail.contrib.sitemaps)."""

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_the_sitemap_lists_the_demo_pages(client):
    call_command("load_demo")
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    xml = response.content.decode()
    for path in ("/vie-scolaire/", "/activites/", "/activites/restauration-scolaire/"):
        assert f"{path}</loc>" in xml, path
    assert "/admin/" not in xml and "/espace-famille/" not in xml
