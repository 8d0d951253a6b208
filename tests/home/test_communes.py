"""Communes and countries with their INSEE codes: look-ups, form fields and the JSON endpoints."""

import gzip
import importlib.util
import threading
from pathlib import Path
from types import ModuleType

import pytest
from django import forms
from django.urls import include, path

from home import communes
from home.communes import Ambiguous, Commune, CommuneKind, NotFound
from home.forms_fields import CommuneField, CountryField

# The lead wires home.urls under `communes/` in the root URLconf; these tests bring their own,
# and every test that renders or resolves a URL names the URLconf it uses.
urlpatterns = [path("communes/", include("home.urls"))]


def codes(items):
    return [item.code for item in items]


# --- normalisation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("Saint-Étienne", "saint etienne"),
        ("ST ETIENNE", "saint etienne"),
        ("st-étienne", "saint etienne"),
        ("Sainte-Foy-lès-Lyon", "sainte foy les lyon"),
        ("STE FOY LES LYON", "sainte foy les lyon"),
        ("L'Haÿ-les-Roses", "l hay les roses"),
        ("L’Haÿ–les–Roses", "l hay les roses"),
        ("  Œuilly  ", "oeuilly"),
        ("CHALON S/ SAONE", "chalon sur saone"),
        ("Saints-Geosmes", "saints geosmes"),
        ("Stes Maries de la Mer", "saintes maries de la mer"),
    ],
)
def test_normalise_folds_case_accents_punctuation_and_saint(spelling, expected):
    assert communes.normalise(spelling) == expected


def test_normalise_keeps_words_that_merely_start_like_saint():
    assert communes.normalise("Stenay") == "stenay"
    assert communes.normalise("Stella-Plage") == "stella plage"


# --- codes -------------------------------------------------------------------------------------


def test_by_code():
    orleans = communes.by_code("45234")
    assert orleans == Commune(
        code="45234",
        kind=CommuneKind.COMMUNE,
        name="Orléans",
        department="45",
        postcodes=orleans.postcodes,
        population=orleans.population,
    )
    assert "45000" in orleans.postcodes
    assert orleans.label == "Orléans (45)"
    assert communes.by_code(" 45234 ") == orleans
    assert communes.by_code("99999") is None


def test_corsica_codes():
    ajaccio = communes.by_code("2A004")
    bastia = communes.by_code("2b033")
    assert (ajaccio.name, ajaccio.department) == ("Ajaccio", "2A")
    assert (bastia.name, bastia.department) == ("Bastia", "2B")
    assert communes.resolve("Ajaccio", "2A") == ajaccio
    assert communes.resolve_text("Bastia (2B)") == bastia
    assert communes.resolve_text("bastia 20200") == bastia
    assert all(communes.COMMUNE_CODE_RE.match(c) for c in ("2A004", "2B033", "45234"))
    # Corsica's pre-1976 department 20 is not a COG code any more.
    assert not communes.COMMUNE_CODE_RE.match("20004")


def test_every_code_matches_api_particulier_pattern():
    data = communes._get_data()
    assert len(data.communes) > 37000
    assert all(communes.COMMUNE_CODE_RE.match(c.code) for c in data.communes)


def test_paris_and_its_arrondissements():
    paris = communes.by_code("75056")
    assert paris.kind is CommuneKind.COMMUNE
    parts = communes.arrondissements(paris)
    assert codes(parts) == [f"751{n:02d}" for n in range(1, 21)]
    fifteenth = communes.by_code("75115")
    assert fifteenth.kind is CommuneKind.ARRONDISSEMENT
    assert fifteenth.parent_code == "75056"
    assert communes.parent(fifteenth) == paris
    assert communes.resolve_text("Paris") == paris
    assert communes.resolve_text("Paris 15") == fifteenth
    assert communes.resolve_text("Paris 15e") == fifteenth
    assert communes.resolve_text("paris 15e arrondissement") == fifteenth
    assert communes.resolve_text("75015") == fifteenth
    assert communes.resolve_text("Marseille 08").code == "13208"
    assert communes.resolve_text("Lyon 1er").code == "69381"
    assert communes.arrondissements(communes.by_code("45234")) == ()


def test_merged_commune_keeps_its_own_code():
    # Bâgé-la-Ville merged into Bâgé-Dommartin in 2018 and kept the code as commune déléguée.
    entries = communes.entries_for_code("01025")
    assert [(c.name, c.kind) for c in entries] == [
        ("Bâgé-Dommartin", CommuneKind.COMMUNE),
        ("Bâgé-la-Ville", CommuneKind.DELEGUEE),
    ]
    assert communes.by_code("01025").name == "Bâgé-Dommartin"
    former = communes.resolve_text("Bâgé-la-Ville (01)")
    assert (former.code, former.kind, former.is_current) == (
        "01025",
        CommuneKind.DELEGUEE,
        False,
    )
    assert communes.parent(former).name == "Bâgé-Dommartin"
    # Arbignieu has the code of its commune nouvelle, Arboys en Bugey.
    arbignieu = communes.resolve_text("Arbignieu")
    assert (arbignieu.code, arbignieu.kind) == ("01015", CommuneKind.DELEGUEE)
    assert communes.by_code("01015").name == "Arboys en Bugey"


def test_commune_deleguee_with_a_code_of_its_own_and_a_homonym():
    # Bernwiller (68031) is now part of Bernwiller (68006): same name, same department.
    result = communes.resolve_text("Bernwiller (68)")
    assert isinstance(result, Ambiguous)
    assert codes(result.candidates) == ["68006", "68031"]
    labels = [communes.unique_label(c) for c in result.candidates]
    assert labels == ["Bernwiller (68, 68006)", "Bernwiller (68, 68031)"]
    # The labels offered as suggestions read back to their commune.
    assert [communes.resolve_text(label).code for label in labels] == ["68006", "68031"]
    assert communes.unique_label(communes.by_code("45234")) == "Orléans (45)"


# --- names -------------------------------------------------------------------------------------


def test_homonyms_need_a_department():
    result = communes.resolve("Saint-Denis")
    assert isinstance(result, Ambiguous)
    assert sorted(codes(result.candidates)) == ["11339", "30247", "93066", "97411"]
    assert result.departments == ("11", "30", "93", "974")
    assert communes.resolve("Saint-Denis", "93").code == "93066"
    assert communes.resolve("st denis", "974").code == "97411"
    assert communes.resolve("SAINT DENIS", "93200").code == "93066"
    assert communes.resolve_text("Saint-Denis (93)").code == "93066"
    assert communes.resolve_text("Saint-Denis 93").code == "93066"
    assert communes.resolve_text("St-Denis 97400").code == "97411"


def test_resolve_not_found_offers_near_spellings():
    result = communes.resolve("Orleand")
    assert isinstance(result, NotFound)
    assert codes(result.suggestions)[:1] == ["45234"]
    # The name exists, in another department.
    result = communes.resolve("Orléans", "28")
    assert isinstance(result, NotFound)
    assert codes(result.suggestions) == ["45234"]
    assert communes.resolve("Orléans", "pas un département") == NotFound()
    assert communes.resolve_text("   ") == NotFound()


def test_search_prefix_best_first():
    found = communes.search("orl", 5)
    assert (
        found[0].code == "45234"
    )  # Orléans: the most populated name starting with "orl"
    assert all(communes.normalise(c.name).startswith("orl") for c in found)
    assert len(communes.search("orl", 3)) == 3
    assert communes.search("", 5) == []
    assert communes.search("orl", 0) == []


def test_search_exact_then_prefix_then_words():
    found = communes.search("saint denis", 10)
    assert set(codes(found[:4])) == {"11339", "30247", "93066", "97411"}
    assert "45274" in codes(found)  # Saint-Denis-en-Val starts with the name
    # Word prefixes, abbreviations and the article: `mans` finds Le Mans first.
    assert codes(communes.search("st jean de br", 3)) == ["45284"]
    assert communes.search("mans", 3)[0].code == "72181"
    assert "94038" in codes(communes.search("hay les r", 5))


def test_search_with_department_or_postcode():
    assert codes(communes.search("Saint-Denis (93)", 1)) == ["93066"]
    assert codes(communes.search("Saint-Denis 974", 5)) == ["97411"]
    assert codes(communes.search("Orléans 45000", 5)) == ["45234"]
    assert codes(communes.search("Paris 15", 1)) == ["75115"]
    assert codes(communes.search("45000")) == ["45234"]


def test_search_tolerates_a_typo():
    assert communes.search("orleand", 1)[0].code == "45234"


def test_search_merges_a_commune_nouvelle_and_its_homonymous_deleguee():
    # Saint-Denis (93) is a commune nouvelle whose commune déléguée has its name and code.
    found = communes.search("Saint-Denis (93)", 10)
    assert codes(found).count("93066") == 1
    assert found[0].kind is CommuneKind.COMMUNE


# --- postcodes and residence -------------------------------------------------------------------


def test_by_postcode():
    assert codes(communes.by_postcode("45000")) == ["45234"]
    assert codes(communes.by_postcode("75015")) == ["75056", "75115"]
    several = communes.by_postcode("45160")
    assert len(several) > 1
    assert all("45160" in c.postcodes for c in several)
    assert communes.by_postcode("00000") == ()
    # 45160 is also a COG code (Greneville-en-Beauce): five digits read as a postcode first.
    assert isinstance(communes.resolve_text("45160"), Ambiguous)
    assert communes.resolve_text("45234").name == "Orléans"  # not a postcode: a code


@pytest.mark.parametrize(
    ("postcode", "city", "commune_code", "expected"),
    [
        ("45000", "ORLEANS", "45234", True),
        ("45000", "Orléans", "45234", True),
        ("45100", "ORLEANS", "45234", True),
        ("45000", "ORLEANS CEDEX 1", "45234", True),
        ("45800", "ST JEAN DE BRAYE", "45284", True),
        ("45800", "ST JEAN DE BRAYE", "45234", False),
        ("45000", "ORLEANS", "45284", False),
        # Arrondissements count as their commune.
        ("75015", "PARIS 15", "75056", True),
        ("75015", "PARIS", "75056", True),
        ("13008", "MARSEILLE 08", "13055", True),
        # A commune déléguée is part of its commune nouvelle.
        ("01380", "BAGE LA VILLE", "01025", True),
        # Homonyms: the postcode tells them apart.
        ("93200", "ST DENIS", "93066", True),
        ("97400", "ST DENIS", "93066", False),
        # The postcode alone decides nothing; a wrong postcode is not our commune.
        ("45000", "", "45234", False),
        ("28000", "ORLEANS", "45234", False),
        ("45000", "ORLEANS", "99999", False),
    ],
)
def test_is_same_commune(postcode, city, commune_code, expected):
    assert communes.is_same_commune(postcode, city, commune_code) is expected


def test_is_same_commune_accepts_a_name_cut_short():
    # La Poste's city line holds 32 characters at most.
    commune = communes.by_code("45284")
    assert communes.is_same_commune("45800", "SAINT JEAN DE BR", commune.code)


# --- countries ---------------------------------------------------------------------------------


def test_countries():
    assert communes.country_by_code("99100").name == "France"
    assert communes.country_by_code("99109").name == "Allemagne"
    assert communes.country_by_code("99999") is None
    assert all(communes.COUNTRY_CODE_RE.match(c.code) for c in communes.countries())
    assert len({c.code for c in communes.countries()}) == len(communes.countries())
    assert codes(communes.search_countries("alle", 3)) == ["99109", "99141", "99142"]
    assert communes.search_countries("cote d iv")[0].code == "99326"
    assert communes.search_countries("usa")[0].code == "99404"
    assert not communes.country_by_code("99141").current


def test_resolve_country():
    assert communes.resolve_country("allemagne").code == "99109"
    assert communes.resolve_country("Côte d'Ivoire").code == "99326"
    assert communes.resolve_country("99350").code == "99350"
    assert communes.resolve_country("Swaziland").code == "99391"
    assert isinstance(communes.resolve_country("Viet"), NotFound)
    assert codes(communes.resolve_country("Allemagn").suggestions)[:1] == ["99109"]
    assert communes.resolve_country("") == NotFound()


# --- data files and their generator -----------------------------------------------------------


def load_build_script():
    path = Path(communes.__file__).parent / "data" / "build.py"
    spec = importlib.util.spec_from_file_location("home_data_build", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_turns_package_records_into_rows():
    build = load_build_script()
    records = [
        {"code": "01015", "nom": "Arbignieu", "type": "commune-deleguee",
         "departement": "01", "chefLieu": "01015"},
        {"code": "01015", "nom": "Arboys en Bugey", "type": "commune-actuelle",
         "departement": "01", "codesPostaux": ["01300"], "population": 710,
         "chefLieu": "ignored"},
        {"code": "75115", "nom": "Paris 15e Arrondissement",
         "type": "arrondissement-municipal", "departement": "75", "commune": "75056",
         "codesPostaux": ["75015"], "population": 225000},
    ]  # fmt: skip
    assert build.commune_rows(records) == [
        ("01015", "COM", "Arboys en Bugey", "01", "01300", "", "710"),
        ("01015", "COMD", "Arbignieu", "01", "", "01015", ""),
        ("75115", "ARM", "Paris 15e Arrondissement", "75", "75015", "75056", "225000"),
    ]


def test_committed_files_follow_the_generator():
    build = load_build_script()
    with gzip.open(communes.COMMUNES_FILE, "rt", encoding="utf-8") as handle:
        assert (
            tuple(handle.readline().rstrip("\n").split("\t")) == build.COMMUNES_HEADER
        )
    assert communes.COMMUNES_FILE.stat().st_size < 1_000_000
    # pays.tsv is the curated table, written out.
    assert {c.code: (c.name, c.aliases, c.current) for c in communes.countries()} == {
        code: (name, aliases, current)
        for code, (name, aliases, current) in build.COUNTRIES.items()
    }


# --- loading -----------------------------------------------------------------------------------


def test_data_are_read_and_indexed_once(monkeypatch):
    reads = []
    real_read = communes._read_communes

    def counting_read(*args, **kwargs):
        reads.append(1)
        return real_read(*args, **kwargs)

    monkeypatch.setattr(communes, "_read_communes", counting_read)
    monkeypatch.setattr(communes, "_data", None)
    threads = [
        threading.Thread(target=communes.search, args=("orl",)) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    communes.by_code("45234")
    communes.resolve("Orléans", "45")
    communes.search_countries("alle")
    assert len(reads) == 1
    assert communes._get_data() is communes._get_data()


# --- form fields -------------------------------------------------------------------------------


class BirthForm(forms.Form):
    commune = CommuneField(label="Commune de naissance", require_arrondissement=True)
    country = CountryField(label="Pays de naissance", required=False)


def errors_of(data, field):
    form = BirthForm(data)
    assert not form.is_valid()
    return form.errors[field]


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Orléans (45)", "45234"),
        ("orleans", "45234"),
        ("45234", "45234"),
        ("Orléans 45000", "45234"),
        ("St-Denis (93)", "93066"),
        ("Paris 15", "75115"),
        ("Ajaccio", "2A004"),
        ("Bâgé-la-Ville (01)", "01025"),
    ],
)
def test_commune_field_cleans_to_the_code(typed, code):
    form = BirthForm({"commune": typed, "country": "France"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"commune": code, "country": "99100"}


def test_commune_field_errors_in_french():
    assert errors_of({"commune": "Saint-Denis"}, "commune") == [
        "Plusieurs communes portent ce nom : précisez le département "
        "(11, 30, 93 ou 974)."
    ]
    assert errors_of({"commune": "Orleand"}, "commune") == [
        "Nous ne trouvons pas cette commune. Vouliez-vous dire : Orléans (45) ?"
    ]
    [message] = errors_of({"commune": "Xqzwv"}, "commune")
    assert message.startswith("Nous ne trouvons pas cette commune.")
    assert errors_of({"commune": "Bernwiller (68)"}, "commune") == [
        "Plusieurs communes portent ce nom : choisissez-en une "
        "(Bernwiller (68, 68006) ou Bernwiller (68, 68031))."
    ]
    assert errors_of({"commune": "Paris"}, "commune") == [
        "Précisez l’arrondissement, par exemple « Paris 1er Arrondissement (75) »."
    ]
    assert errors_of({}, "commune") == ["Champ requis."]


def test_commune_field_without_arrondissement_rule_accepts_paris():
    field = CommuneField()
    assert field.clean("Paris") == "75056"
    assert CommuneField(required=False).clean("") == ""


def test_country_field():
    field = CountryField()
    assert field.clean("Maroc") == "99350"
    assert field.clean("99109") == "99109"
    with pytest.raises(forms.ValidationError) as error:
        field.clean("Alemagne")
    assert error.value.messages == [
        "Nous ne trouvons pas ce pays. Vouliez-vous dire : Allemagne ?"
    ]
    with pytest.raises(forms.ValidationError) as error:
        field.clean("Atlantide")
    assert error.value.messages[0].startswith("Nous ne trouvons pas ce pays.")


@pytest.mark.urls(__name__)
def test_fields_render_a_text_input_tied_to_a_datalist():
    html = str(BirthForm()["commune"])
    assert 'type="text"' in html
    assert 'list="id_commune-suggestions"' in html
    assert '<datalist id="id_commune-suggestions"></datalist>' in html
    assert 'autocomplete="off"' in html
    assert "js/commune-autocomplete.js" in str(BirthForm().media)
    assert 'list="id_country-suggestions"' in str(BirthForm()["country"])


@pytest.mark.urls(__name__)
def test_fields_show_a_stored_code_as_text():
    form = BirthForm(initial={"commune": "45234", "country": "99109"})
    assert 'value="Orléans (45)"' in str(form["commune"])
    assert 'value="Allemagne"' in str(form["country"])


@pytest.mark.urls(__name__)
def test_fields_keep_what_was_typed_after_an_error():
    form = BirthForm({"commune": "Saint-Denis", "country": "Alle"})
    assert not form.is_valid()
    assert 'value="Saint-Denis"' in str(form["commune"])
    assert 'value="Alle"' in str(form["country"])


@pytest.mark.urls(__name__)
def test_fields_point_to_the_suggestion_endpoints():
    form = BirthForm()
    assert 'data-autocomplete-url="/communes/recherche/"' in str(form["commune"])
    assert 'data-autocomplete-url="/communes/pays/"' in str(form["country"])


def test_fields_render_without_the_endpoints(settings):
    # A site that does not include home.urls: no suggestions, and the field still works.
    urlconf = ModuleType("urls_without_communes")
    urlconf.urlpatterns = []
    settings.ROOT_URLCONF = urlconf
    html = str(BirthForm()["commune"])
    assert "data-autocomplete-url" not in html
    assert 'list="id_commune-suggestions"' in html


# --- JSON endpoints ----------------------------------------------------------------------------


@pytest.mark.urls(__name__)
def test_commune_endpoint(client):
    response = client.get("/communes/recherche/", {"q": "orl"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert cache_control == {"public", "max-age=86400"}
    results = response.json()["results"]
    assert len(results) == 10
    assert results[0] == {
        "value": "Orléans (45)",
        "hint": "45000, 45100",
        "code": "45234",
        "name": "Orléans",
        "department": "45",
        "kind": "COM",
    }


@pytest.mark.urls(__name__)
def test_commune_endpoint_hints_tell_former_communes_apart(client):
    results = client.get("/communes/recherche/", {"q": "Bâgé-la-Ville"}).json()[
        "results"
    ]
    assert results[0]["code"] == "01025"
    assert results[0]["hint"] == "commune déléguée, rattachée à Bâgé-Dommartin (01)"
    results = client.get("/communes/recherche/", {"q": "paris 15"}).json()["results"]
    assert results[0]["hint"] == "arrondissement municipal"


@pytest.mark.urls(__name__)
def test_commune_endpoint_limits(client):
    assert client.get("/communes/recherche/", {"q": "o"}).json() == {"results": []}
    assert client.get("/communes/recherche/").json() == {"results": []}
    many = client.get("/communes/recherche/", {"q": "saint", "limit": "500"})
    assert len(many.json()["results"]) == 20
    few = client.get("/communes/recherche/", {"q": "saint", "limit": "abc"})
    assert len(few.json()["results"]) == 10
    assert client.head("/communes/recherche/", {"q": "orl"}).status_code == 200
    assert client.post("/communes/recherche/", {"q": "orl"}).status_code == 405


@pytest.mark.urls(__name__)
def test_country_endpoint(client):
    response = client.get("/communes/pays/", {"q": "alle"})
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    assert response.json()["results"] == [
        {"value": "Allemagne", "hint": "", "code": "99109"},
        {
            "value": "Allemagne de l’Est (RDA)",
            "hint": "État qui n’existe plus",
            "code": "99141",
        },
        {
            "value": "Allemagne de l’Ouest (RFA)",
            "hint": "État qui n’existe plus",
            "code": "99142",
        },
    ]


@pytest.mark.urls(__name__)
def test_endpoints_need_no_database(client):
    # No `db` fixture: any query would raise instead of answering.
    assert client.get("/communes/recherche/", {"q": "orl"}).status_code == 200
    assert client.get("/communes/pays/", {"q": "alle"}).status_code == 200
