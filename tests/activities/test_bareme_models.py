"""Barème models: lossless storage, versions that freeze once used, pricing services."""

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings

from activities.models import Bareme, BaremeVersion
from activities.pricing import InvalidBareme, PricingError, Situation
from activities.services import export_document, import_document, quote_and_lock

from .examples import EXAMPLE_FILES, EXAMPLES_DIR, case_id, example_document
from .test_pricing_properties import documents

pytestmark = pytest.mark.django_db


def champcevinel():
    return example_document(EXAMPLES_DIR / "champcevinel-restauration.json")


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=case_id)
def test_rows_hold_the_whole_document(path):
    """Import writes rows; the rows alone give back the very same document."""
    document = example_document(path)
    version, created = import_document(document)
    assert created
    bareme = Bareme.objects.get(slug=document["id"])
    assert bareme.to_document() == document
    brackets = bareme.brackets.all()
    assert [bracket.sort_order for bracket in brackets] == list(range(len(brackets)))
    assert version.document == document
    assert json.loads(json.dumps(export_document(document["id"]))) == document


def test_a_fully_featured_document_survives_the_rows(import_example):
    document = champcevinel()
    document.update(
        id="complet",
        qf_rounding="nearest",
        columns=[
            {
                "key": "ccas",
                "label": "CCAS",
                "when": {"flags": ["ccas", "rsa"], "regime": ["MSA", "CNAF"]},
            },
            {"key": "ainés", "label": "Aînés", "when": {"child_rank": {"max": 1}}},
            {"key": "autres", "label": "Autres"},
        ],
        no_qf={"mode": "price", "price": "3.00"},
        non_resident={"mode": "surcharge", "amount": "2.50"},
        siblings={
            "reductions": [{"from_rank": 3, "percent": "12.5"}],
            "not_below_floor": True,
            "applies_to": "residents",
        },
        rounding={"step": "0.05", "mode": "down"},
    )
    document["columns"][1]["key"] = "aines"
    for bracket in document["brackets"]:
        price = bracket.pop("price")
        bracket["prices"] = {"ccas": "0.50", "aines": price, "autres": price}
    document["brackets"].insert(
        0,
        {
            "label": "Ligne RSA",
            "min": None,
            "min_included": True,
            "max": "400",
            "max_included": False,
            "prices": {"aines": "0.80"},
            "when": {"residence": "resident", "flags": ["rsa"]},
        },
    )
    import_document(document)
    assert Bareme.objects.get(slug="complet").to_document() == document
    assert export_document("complet") == document


def test_effort_rate_by_column_survives_the_rows():
    document = example_document(EXAMPLES_DIR / "fay-aux-loges-restauration.json")
    document.update(
        columns=[
            {"key": "commune", "label": "Commune", "when": {"residence": "resident"}},
            {"key": "exterieur", "label": "Extérieur"},
        ],
        effort_rate={
            "commune": {"rate": "0.0036", "floor": "2.60", "ceiling": "4.50"},
            "exterieur": {"rate": "0.0050", "floor": None, "ceiling": "6.00"},
        },
    )
    import_document(document)
    assert export_document(document["id"]) == document


def test_import_refuses_an_invalid_document_and_stores_nothing():
    document = champcevinel()
    document["brackets"][0]["max"] = "700"
    with pytest.raises(InvalidBareme) as raised:
        import_document(document)
    assert raised.value.problems[0].code == "overlap"
    assert not Bareme.objects.exists()


def test_recording_an_unchanged_barème_records_nothing(import_example):
    version = import_example("champcevinel-restauration")
    assert version.bareme.record_version() == (version, False)
    assert BaremeVersion.objects.count() == 1


def test_an_unused_version_is_corrected_in_place(import_example):
    version = import_example("champcevinel-restauration")
    bareme = version.bareme
    bareme.label = "Cantine — repas"
    bareme.save()
    recorded, created = bareme.record_version()
    assert (recorded.pk, recorded.number, created) == (version.pk, 1, False)
    assert recorded.document["label"] == "Cantine — repas"


def test_a_used_version_never_changes_an_edit_makes_a_new_one(import_example):
    version = import_example("champcevinel-restauration")
    version.mark_used()
    assert version.is_in_use()
    bareme = version.bareme
    bracket = bareme.brackets.get(label__startswith="Tranche 2")
    bracket.price = "3.35"
    bracket.save()
    recorded, created = bareme.record_version()
    assert created and recorded.number == 2
    assert not recorded.is_in_use()
    version.refresh_from_db()
    assert version.document == champcevinel()
    assert recorded.quote(Situation(qf=Decimal("800"))).amount == Decimal("3.35")
    assert version.quote(Situation(qf=Decimal("800"))).amount == Decimal("3.30")
    assert bareme.current_version == recorded


def test_record_version_refuses_invalid_rows(import_example):
    bareme = import_example("champcevinel-restauration").bareme
    bareme.brackets.filter(label__startswith="Tranche 4").delete()
    with pytest.raises(InvalidBareme):
        bareme.record_version()


def test_quote_and_lock_prices_with_the_latest_version_and_freezes_it(import_example):
    first = import_example("champcevinel-restauration")
    second, _ = import_document(dict(champcevinel(), label="Repas (rectifié)"))
    version, result = quote_and_lock(first.bareme, Situation(qf=Decimal("1501")))
    assert version == second
    assert result.amount == Decimal("3.50")
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.locked and not first.locked


def test_quote_and_lock_leaves_the_version_alone_when_it_cannot_price(import_example):
    version = import_example("champcevinel-restauration")
    with pytest.raises(PricingError):
        quote_and_lock(version.bareme, Situation(qf=Decimal("-1")))
    version.refresh_from_db()
    assert not version.locked


def test_latest_version_of_each_barème(import_example):
    import_example("champcevinel-restauration")
    import_example("groix-restauration")
    latest, _ = import_document(dict(champcevinel(), label="Repas v2"))
    numbers = {
        (v.bareme.slug, v.number)
        for v in BaremeVersion.objects.latest_per_bareme().select_related("bareme")
    }
    assert numbers == {
        ("champcevinel-restauration-2022", 2),
        ("groix-restauration-2021", 1),
    }
    assert latest.number == 2


def test_versions_are_numbered_per_barème(import_example):
    import_example("champcevinel-restauration")
    import_example("champcevinel-restauration")
    version = import_example("groix-restauration")
    assert version.number == 1
    assert str(version) == "groix-restauration-2021 v1"


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(document=documents())
def test_any_document_survives_the_database(document):
    """import → export is the identity through the rows agents edit, not only the JSON."""
    version, _ = import_document(document)
    assert Bareme.objects.get(slug=document["id"]).to_document() == document
    assert export_document(document["id"]) == document
    assert export_document(document["id"], version.number) == document
