"""The barème admin: inline rows, errors where they belong, versions, import and export."""

import json

import pytest
from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from activities.models import Bareme, BaremeVersion

from .examples import EXAMPLES_DIR, example_document

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"wagtailsnippets_activities_bareme:{name}", args=args)


def form_values(response):
    """What the browser would send back from the admin form, unchanged."""
    assert response.status_code == 200
    form = BeautifulSoup(response.content, "html.parser").select_one(
        "form[data-edit-form]"
    )
    values = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        name = field["name"]
        if field.name == "textarea":
            values[name] = field.get_text().lstrip("\n")
        elif field.name == "select":
            selected = field.select_one("option[selected]")
            values[name] = selected["value"] if selected else ""
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                values[name] = field.get("value", "on")
        elif field.get("type") not in ("submit", "button", "file"):
            values[name] = field.get("value", "")
    return values


def add_row(values, prefix, row):
    index = int(values[f"{prefix}-TOTAL_FORMS"])
    values[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    values.update(
        {
            f"{prefix}-{index}-{key}": value
            for key, value in row.items()
            if value is not False
        }
    )
    values.setdefault(f"{prefix}-{index}-ORDER", str(index + 1))
    values.setdefault(f"{prefix}-{index}-id", "")


def bracket_row(label, low, high, price, **extra):
    return {
        "label": label,
        "min_value": low,
        "min_included": "on",
        "max_value": high,
        "max_included": "on" if high else False,
        "price": price,
        "prices": "",
        **extra,
    }


@pytest.fixture
def new_bareme_values(admin_client):
    values = form_values(admin_client.get(url("add")))
    values.update(
        slug="etudes-2026",
        label="Études surveillées — séance",
        unit="séance",
        deliberation_reference="DCM 2026-040",
        deliberation_date="2026-06-25",
        valid_from="2026-09-01",
        valid_until="2027-08-31",
        qf_rounding="floor",
        pricing_model="brackets",
        no_qf_mode="highest",
        rounding_step="0,01",
        rounding_mode="half_up",
        siblings_applies_to="all",
    )
    add_row(values, "brackets", bracket_row("Tranche A", "0", "700", "1,20"))
    add_row(values, "brackets", bracket_row("Tranche B", "701", "", "2,10 €"))
    return values


def errors_of(response):
    assert response.status_code == 200, "the form was accepted"
    return " ".join(
        BeautifulSoup(response.content, "html.parser").get_text(" ").split()
    )


def test_listing_and_forms_render(admin_client, import_example):
    import_example("wavrin-centre-loisirs")
    listing = admin_client.get(url("list"))
    assert listing.status_code == 200
    assert "wavrin-alsh-2025" in listing.content.decode()
    assert "Importer un document JSON" in listing.content.decode()
    bareme = Bareme.objects.get()
    edit = admin_client.get(url("edit", bareme.pk))
    text = errors_of(edit)
    assert "Exporter en JSON" in text
    assert "Modifiable" in text  # the versions panel
    assert admin_client.get(url("add")).status_code == 200


def test_an_agent_creates_a_barème_with_inline_brackets(
    admin_client, new_bareme_values
):
    response = admin_client.post(url("add"), new_bareme_values)
    assert response.status_code == 302
    version = BaremeVersion.objects.get(bareme__slug="etudes-2026")
    assert version.number == 1
    assert [
        (b["label"], b["min"], b["max"], b["price"])
        for b in version.document["brackets"]
    ] == [("Tranche A", "0", "700", "1.20"), ("Tranche B", "701", None, "2.10")]
    assert version.document["deliberation"]["reference"] == "DCM 2026-040"


def test_overlapping_brackets_are_shown_on_the_bracket(admin_client, new_bareme_values):
    new_bareme_values["brackets-1-min_value"] = "650"
    text = errors_of(admin_client.post(url("add"), new_bareme_values))
    assert "Les tranches « Tranche A » et « Tranche B » se chevauchent" in text
    assert not Bareme.objects.exists()


def test_a_gap_is_shown_on_the_bracket_after_it(admin_client, new_bareme_values):
    new_bareme_values["brackets-1-min_value"] = "750"
    response = admin_client.post(url("add"), new_bareme_values)
    form = response.context["form"]
    bracket_forms = form.formsets["brackets"].forms
    assert "de 701 € à 749 €" in " ".join(bracket_forms[1].non_field_errors())


def test_a_missing_column_price_is_shown_on_its_field(admin_client, new_bareme_values):
    add_row(
        new_bareme_values,
        "columns",
        {"key": "commune", "label": "Commune", "when_residence": "resident"},
    )
    add_row(new_bareme_values, "columns", {"key": "exterieur", "label": "Extérieur"})
    new_bareme_values["brackets-0-prices"] = "commune : 1,20\nexterieur : 3"
    new_bareme_values["brackets-1-prices"] = "commune : 2,10"
    response = admin_client.post(url("add"), new_bareme_values)
    bracket_forms = response.context["form"].formsets["brackets"].forms
    assert bracket_forms[1].errors["prices"] == [
        "La tranche « Tranche B » n'a pas de prix pour la colonne « exterieur »."
    ]
    # A single price would be ignored with columns: it is refused, not dropped.
    assert bracket_forms[0].errors["price"] == [
        "Avec des colonnes, donnez les prix par colonne."
    ]


def test_malformed_prices_lines_are_refused(admin_client, new_bareme_values):
    add_row(new_bareme_values, "columns", {"key": "tous", "label": "Tous"})
    new_bareme_values["brackets-0-prices"] = "tous = 1,20"
    new_bareme_values["brackets-0-price"] = ""
    text = errors_of(admin_client.post(url("add"), new_bareme_values))
    assert "Ligne « tous = 1,20 » : écrivez « clé de colonne : prix »." in text


def test_dates_in_the_wrong_order(admin_client, new_bareme_values):
    new_bareme_values["valid_until"] = "2026-08-01"
    response = admin_client.post(url("add"), new_bareme_values)
    assert response.context["form"].errors["valid_until"] == [
        "La fin de validité (01/08/2026) précède le début (01/09/2026)."
    ]


def test_floor_above_ceiling_on_the_effort_rate(admin_client, new_bareme_values):
    for key in list(new_bareme_values):
        if key.startswith("brackets-") and key[9].isdigit():
            del new_bareme_values[key]
    new_bareme_values["brackets-TOTAL_FORMS"] = "0"
    new_bareme_values.update(
        pricing_model="effort_rate",
        effort_rate="0,0036",
        effort_floor="5",
        effort_ceiling="4,50",
    )
    response = admin_client.post(url("add"), new_bareme_values)
    assert response.context["form"].errors["effort_floor"] == [
        "Le prix plancher (5,00 €) dépasse le prix plafond (4,50 €)."
    ]


def test_editing_an_unused_version_corrects_it(admin_client, import_example):
    version = import_example("champcevinel-restauration")
    edit_url = url("edit", version.bareme.pk)
    values = form_values(admin_client.get(edit_url))
    values["label"] = "Cantine — repas"
    assert admin_client.post(edit_url, values).status_code == 302
    version.refresh_from_db()
    assert version.document["label"] == "Cantine — repas"
    assert BaremeVersion.objects.count() == 1


def test_saving_without_change_keeps_the_document(admin_client, import_example):
    version = import_example("wavrin-centre-loisirs")
    version.mark_used()
    edit_url = url("edit", version.bareme.pk)
    assert (
        admin_client.post(edit_url, form_values(admin_client.get(edit_url))).status_code
        == 302
    )
    assert BaremeVersion.objects.count() == 1
    assert version.bareme.to_document() == example_document(
        EXAMPLES_DIR / "wavrin-centre-loisirs.json"
    )


def test_editing_a_used_version_creates_a_new_one(admin_client, import_example):
    version = import_example("champcevinel-restauration")
    version.mark_used()
    edit_url = url("edit", version.bareme.pk)
    values = form_values(admin_client.get(edit_url))
    tranche_2 = next(
        key[: -len("-label")]
        for key, value in values.items()
        if key.endswith("-label") and value.startswith("Tranche 2")
    )
    values[f"{tranche_2}-price"] = "3,35"
    response = admin_client.post(edit_url, values, follow=True)
    assert "vos modifications forment la version 2" in response.content.decode()
    latest = BaremeVersion.objects.get(number=2)
    assert latest.document["brackets"][1]["price"] == "3.35"
    version.refresh_from_db()
    assert version.document == example_document(
        EXAMPLES_DIR / "champcevinel-restauration.json"
    )


def test_export_view_downloads_the_document(admin_client, import_example):
    version = import_example("groix-restauration")
    response = admin_client.get(url("export", version.bareme.pk))
    assert response["Content-Disposition"] == (
        'attachment; filename="groix-restauration-2021-v1.json"'
    )
    assert json.loads(response.content) == example_document(
        EXAMPLES_DIR / "groix-restauration.json"
    )
    assert (
        admin_client.get(url("export", version.bareme.pk), {"version": 7}).status_code
        == 404
    )


def upload(document, name="bareme.json"):
    content = document if isinstance(document, bytes) else json.dumps(document).encode()
    return SimpleUploadedFile(name, content, content_type="application/json")


def test_import_view_imports_a_document(admin_client):
    assert admin_client.get(url("import")).status_code == 200
    document = example_document(EXAMPLES_DIR / "bubry-restauration.json")
    response = admin_client.post(url("import"), {"document": upload(document)})
    bareme = Bareme.objects.get(slug="bubry-restauration-2023")
    assert response.status_code == 302
    assert response["Location"] == url("edit", bareme.pk)
    assert bareme.current_version.document == document


def test_import_view_lists_the_problems(admin_client):
    document = example_document(EXAMPLES_DIR / "bubry-restauration.json")
    document["brackets"][0]["max"] = "650"
    text = errors_of(admin_client.post(url("import"), {"document": upload(document)}))
    assert "Ce barème n'a pas été importé" in text
    assert "se chevauchent" in text
    assert not Bareme.objects.exists()


def test_import_view_refuses_a_file_that_is_not_json(admin_client):
    text = errors_of(admin_client.post(url("import"), {"document": upload(b"\xff{")}))
    assert "n'est pas un document JSON lisible" in text


def test_admin_views_need_permissions(client, import_example, django_user_model):
    version = import_example("groix-restauration")
    user = django_user_model.objects.create_user("curieux", password="x")
    client.force_login(user)
    assert client.get(url("export", version.bareme.pk)).status_code in (302, 403, 404)
    assert client.get(url("import")).status_code in (302, 403, 404)
