"""The demo commune's activities, priced by real published grids (idempotent).

The barèmes in ``demo_baremes/`` are the tests' example grids (``tests/activities/data/baremes``) as their
communes published them; "Ville de Démo" adopts them, with the fictional after-school
care and conservatory grids, by a délibération of its own for the current school year
(``for_school_year``): a period is priced only by a barème in force on its dates, so the
demo's barèmes follow today's date as its periods do.
"""

import datetime
import json
import re
from pathlib import Path

from django.utils import timezone

from home.demo import ensure_child_page
from home.models import HomePageHighlight

from .models import (
    ActivityBaremeLink,
    ActivityIndexPage,
    ActivityPage,
    ActivityPeriod,
    Bareme,
)
from .services import import_document

DEMO_BAREMES_DIR = Path(__file__).resolve().parent / "demo_baremes"


def school_year_start(today: datetime.date) -> int:
    """The year the current school year starts (enrolments for it open in June)."""
    return today.year if today.month >= 6 else today.year - 1


def fictional_baremes(year: int) -> list[dict]:
    common = {
        "format": "bareme/1",
        "deliberation": {
            "reference": f"DCM {year}-031",
            "date": f"{year}-06-25",
            "url": None,
        },
        "valid_from": f"{year}-09-01",
        "valid_until": f"{year + 1}-08-31",
        "columns": None,
        "rounding": {"step": "0.01", "mode": "half_up"},
    }
    after_school = {
        **common,
        "id": f"periscolaire-{year}",
        "label": "Accueil périscolaire — demi-heure",
        "unit": "demi-heure",
        "qf_rounding": "floor",
        "model": "effort_rate",
        "brackets": None,
        "effort_rate": {"rate": "0.0009", "floor": "0.30", "ceiling": "1.40"},
        "no_qf": {"mode": "highest"},
        "non_resident": {"mode": "surcharge", "amount": "0.50"},
        "siblings": {
            "reductions": [
                {"from_rank": 2, "percent": "10"},
                {"from_rank": 3, "percent": "20"},
            ],
            "not_below_floor": True,
            "applies_to": "all",
        },
    }
    bounds = [
        ("0", "550", "95.00"),
        ("551", "900", "160.00"),
        ("901", "1300", "230.00"),
    ]
    brackets = [
        {
            "label": f"Tranche {index}",
            "min": low,
            "min_included": True,
            "max": high,
            "max_included": True,
            "price": price,
        }
        for index, (low, high, price) in enumerate(bounds, start=1)
    ]
    brackets.append(
        {
            "label": "Tranche 4",
            "min": "1301",
            "min_included": True,
            "max": None,
            "max_included": False,
            "price": "310.00",
        }
    )
    conservatory = {
        **common,
        "id": f"conservatoire-{year}",
        "label": "Conservatoire — cursus instrumental, année",
        "unit": "année",
        "qf_rounding": "floor",
        "model": "brackets",
        "brackets": brackets,
        "effort_rate": None,
        "no_qf": {"mode": "highest"},
        "non_resident": {"mode": "multiplier", "factor": "2"},
        "siblings": {
            "reductions": [
                {"from_rank": 2, "percent": "10"},
                {"from_rank": 3, "percent": "20"},
            ],
            "not_below_floor": False,
            "applies_to": "residents",
        },
    }
    return [after_school, conservatory]


def for_school_year(document: dict, year: int, number: int) -> dict:
    """A published grid as the demo commune's own, voted in June for the school year
    starting in September of ``year``: its id, délibération and dates say so."""
    base = re.sub(r"-(19|20)\d\d$", "", document["id"])
    return {
        **document,
        "id": f"{base}-{year}",
        "deliberation": {
            "reference": f"DCM {year}-{number:03d}",
            "date": f"{year}-06-25",
            "url": None,
        },
        "valid_from": f"{year}-09-01",
        "valid_until": f"{year + 1}-08-31",
    }


def demo_documents(year: int) -> list[dict]:
    """Every demo barème, in force from 1 September of ``year`` to 31 August after."""
    published = [
        for_school_year(json.loads(path.read_text(encoding="utf-8")), year, number)
        for number, path in enumerate(sorted(DEMO_BAREMES_DIR.glob("*.json")), start=40)
    ]
    return published + fictional_baremes(year)


def ensure_baremes(year: int) -> dict[str, Bareme]:
    """Import each demo barème once; a barème already there is left as agents made it."""
    baremes = {}
    for document in demo_documents(year):
        bareme = Bareme.objects.filter(slug=document["id"]).first()
        if bareme is None:
            version, _ = import_document(document)
            bareme = version.bareme
        baremes[document["id"]] = bareme
    return baremes


def paragraph(text: str) -> dict:
    return {"type": "paragraph", "value": f"<p>{text}</p>"}


def activity_specs(year: int) -> list[dict]:
    first_day = datetime.date(year, 9, 1)
    last_day = datetime.date(year + 1, 7, 3)
    opens = datetime.date(year, 6, 1)
    closes = datetime.date(year + 1, 6, 30)
    school_year = f"Année scolaire {year}-{year + 1}"
    return [
        {
            "slug": "restauration-scolaire",
            "title": "Restauration scolaire",
            "category": "restauration",
            "introduction": "Un repas équilibré chaque midi d'école, préparé sur place, "
            "au tarif calculé selon votre quotient familial.",
            "description": [
                paragraph(
                    "Les repas sont préparés par le restaurant scolaire avec des "
                    "produits frais et locaux. Les menus sont affichés à l'école et "
                    "publiés chaque mois."
                ),
                paragraph(
                    "Signalez toute allergie : un projet d'accueil individualisé (PAI) "
                    "est établi avec le médecin scolaire."
                ),
            ],
            "age_min": 3,
            "age_max": 11,
            "school_levels": "De la petite section au CM2",
            "schedule": "Lundi, mardi, jeudi et vendredi, de 11 h 45 à 13 h 30",
            "place": "Restaurant scolaire Jules-Ferry",
            "address": "12 rue des Écoles\n45999 Ville-de-Démo",
            "contact_name": "Service éducation et famille",
            "contact_email": "famille@demo.example.org",
            "contact_phone": "01 23 45 67 89",
            "periods": [(school_year, first_day, last_day, 180, opens, closes)],
            "baremes": [(f"champcevinel-restauration-{year}", "")],
        },
        {
            "slug": "accueil-periscolaire",
            "title": "Accueil périscolaire",
            "category": "periscolaire",
            "introduction": "Avant et après la classe, un accueil encadré par des "
            "animateurs diplômés, facturé à la demi-heure.",
            "description": [
                paragraph(
                    "Le matin, l'accueil ouvre à 7 h 30 ; le soir, un goûter est servi "
                    "puis les enfants choisissent entre aide aux devoirs et ateliers."
                )
            ],
            "age_min": 3,
            "age_max": 11,
            "school_levels": "Écoles maternelles et élémentaires",
            "schedule": "Lundi, mardi, jeudi et vendredi, de 7 h 30 à 8 h 30 et de "
            "16 h 30 à 18 h 30",
            "place": "Écoles Jules-Ferry et Louise-Michel",
            "address": "",
            "contact_name": "Service éducation et famille",
            "contact_email": "famille@demo.example.org",
            "contact_phone": "01 23 45 67 89",
            "periods": [(school_year, first_day, last_day, 90, opens, closes)],
            "baremes": [(f"periscolaire-{year}", "")],
        },
        {
            "slug": "accueil-de-loisirs",
            "title": "Accueil de loisirs du mercredi et des vacances",
            "category": "loisirs",
            "introduction": "Sorties, jeux et activités manuelles, à la journée, les "
            "mercredis et pendant les vacances scolaires.",
            "description": [
                paragraph(
                    "L'accueil de loisirs propose chaque période un programme "
                    "d'activités autour d'un thème, avec une sortie par semaine."
                )
            ],
            "age_min": 3,
            "age_max": 12,
            "school_levels": "",
            "schedule": "De 8 h à 18 h, arrivée jusqu'à 9 h 30",
            "place": "Centre de loisirs des Tilleuls",
            "address": "4 allée des Tilleuls\n45999 Ville-de-Démo",
            "contact_name": "Direction de l'accueil de loisirs",
            "contact_email": "loisirs@demo.example.org",
            "contact_phone": "01 23 45 67 80",
            "periods": [
                (
                    f"Mercredis {year}-{year + 1}",
                    first_day,
                    last_day,
                    60,
                    opens,
                    closes,
                ),
                (
                    f"Vacances d'été {year + 1}",
                    datetime.date(year + 1, 7, 6),
                    datetime.date(year + 1, 7, 31),
                    48,
                    datetime.date(year + 1, 4, 1),
                    datetime.date(year + 1, 6, 15),
                ),
            ],
            "baremes": [(f"wavrin-alsh-{year}", "")],
        },
        {
            "slug": "conservatoire",
            "title": "Conservatoire de musique et de danse",
            "category": "conservatoire",
            "introduction": "Éveil musical, instruments, chant et danse, du premier "
            "cycle à la préparation aux examens.",
            "description": [
                paragraph(
                    "Les cours ont lieu en petits groupes ou en individuel selon "
                    "l'instrument. Le tarif annuel comprend la formation musicale et "
                    "la pratique collective."
                )
            ],
            "age_min": 5,
            "age_max": 18,
            "school_levels": "",
            "schedule": "Du lundi au samedi, selon le planning des classes",
            "place": "Conservatoire municipal",
            "address": "2 place de la Musique\n45999 Ville-de-Démo",
            "contact_name": "Secrétariat du conservatoire",
            "contact_email": "conservatoire@demo.example.org",
            "contact_phone": "01 23 45 67 85",
            "periods": [(school_year, first_day, last_day, 220, opens, closes)],
            "baremes": [(f"conservatoire-{year}", "")],
        },
    ]


def ensure_activity(
    index: ActivityIndexPage, spec: dict, baremes: dict
) -> ActivityPage:
    spec = dict(spec)
    periods = [
        ActivityPeriod(
            label=label,
            start=start,
            end=end,
            capacity=capacity,
            enrolment_opens=opens,
            enrolment_closes=closes,
        )
        for label, start, end, capacity, opens, closes in spec.pop("periods")
    ]
    links = [
        ActivityBaremeLink(bareme=baremes[slug], title=title)
        for slug, title in spec.pop("baremes")
    ]
    page, _ = ensure_child_page(
        index,
        ActivityPage,
        spec.pop("slug"),
        periods=periods,
        bareme_links=links,
        **spec,
    )
    return page


def load_demo_activities(index_parent_page, today: datetime.date | None = None):
    """The "Activités" index under ``index_parent_page``, its activities and barèmes.

    Safe to run again: nothing that exists is changed. Returns the index page.
    """
    year = school_year_start(today or timezone.localdate())
    baremes = ensure_baremes(year)
    index, _ = ensure_child_page(
        index_parent_page,
        ActivityIndexPage,
        "activites",
        title="Activités",
        show_in_menus=True,
        introduction="Restauration, accueil périscolaire, loisirs, conservatoire : "
        "les activités proposées aux enfants de la commune, leurs tarifs et les "
        "inscriptions en ligne.",
    )
    activities = {
        spec["slug"]: ensure_activity(index, spec, baremes)
        for spec in activity_specs(year)
    }
    ensure_highlights(index_parent_page, activities)
    return index


# What the communication team highlights on the home page, with its own words.
HIGHLIGHTS = [
    ("accueil-de-loisirs", "Les mercredis et les vacances, à la journée."),
    ("restauration-scolaire", ""),
    ("conservatoire", ""),
]


def ensure_highlights(home, activities: dict[str, ActivityPage]) -> None:
    """Choose the home page's highlighted activities once (an editor's choice stays)."""
    if not hasattr(home, "highlights") or home.highlights.exists():
        return
    home.highlights = [
        HomePageHighlight(page=activities[slug], text=text) for slug, text in HIGHLIGHTS
    ]
    home.save_revision().publish()
