"""The commune's settings: editable in the admin, validated in French."""

from django.urls import reverse
from wagtail.models import Site

from home.models import CommuneSettings
from home.siret import is_valid_siret


def test_siret_check():
    assert is_valid_siret("21999999200015")
    assert is_valid_siret("35600000000051")  # La Poste: digit sum, not Luhn
    assert is_valid_siret("35600000000048")  # La Poste head office: Luhn
    assert not is_valid_siret("21999999200016")
    assert not is_valid_siret("2199999920001")
    assert not is_valid_siret("2199999920001a")


def _edit_url(site):
    return reverse("wagtailsettings:edit", args=["home", "communesettings", site.pk])


def _form(**overrides):
    data = {
        "name": "Ville de Test",
        "insee_code": "45999",
        "siret": "21999999200015",
        "address": "1 place de la Mairie",
        "phone": "01 02 03 04 05",
        "email": "mairie@example.org",
        "service_name": "Service famille",
        "signatory_name": "Claire Dubois",
        "signatory_role": "Adjointe",
        "accessibility_status": "partial",
    }
    data.update(overrides)
    return data


def test_settings_are_editable_in_admin(admin_client, home_page):
    site = Site.objects.get(is_default_site=True)
    response = admin_client.post(
        _edit_url(site), _form(accessibility_page=home_page.pk)
    )
    assert response.status_code == 302
    commune = CommuneSettings.for_site(site)
    assert commune.name == "Ville de Test"
    assert commune.siret == "21999999200015"
    html = admin_client.get("/").content.decode()
    assert "Ville de Test" in html
    assert "Accessibilité : partiellement conforme" in html


def test_invalid_siret_is_refused_in_french(admin_client, home_page):
    site = Site.objects.get(is_default_site=True)
    response = admin_client.post(_edit_url(site), _form(siret="12345678901234"))
    assert response.status_code == 200
    assert "Le SIRET doit compter 14 chiffres" in response.content.decode()
    assert not CommuneSettings.objects.filter(siret="12345678901234").exists()
