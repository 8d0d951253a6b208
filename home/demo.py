"""The demo commune, "Ville de Démo": its page tree, settings, groups and accounts.

Idempotent: each object is created once and left alone afterwards, so running the loader
again changes nothing (no new revision, no new password hash).
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from wagtail.models import (
    Collection,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    Site,
)

from .models import CommuneSettings, ContentPage, HomePage

DEMO_SIRET = "21999999200015"  # fictional, Luhn-valid (SIREN 219999992 + NIC 00015)
DEMO_INSEE_CODE = "45999"  # fictional commune code
DEMO_POSTCODE = "45999"

EDITORS_GROUP = "Éditeurs"
AGENTS_GROUP = "Agents famille"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    email: str
    first_name: str
    last_name: str
    role: str
    group: str | None = None


# Demo-only credentials, printed by `make demo`; the loader refuses to run in production.
DEMO_ACCOUNTS = [
    DemoAccount(
        "editeur",
        "demo-editeur-2026",
        "editeur@demo.example.org",
        "Élise",
        "Martin",
        "éditrice du site (communication)",
        EDITORS_GROUP,
    ),
    DemoAccount(
        "agent",
        "demo-agent-2026",
        "agent@demo.example.org",
        "Karim",
        "Benali",
        "agent du service famille",
        AGENTS_GROUP,
    ),
    DemoAccount(
        "parent",
        "demo-parent-2026",
        "parent@demo.example.org",
        "Anne",
        "Giraud",
        "parent (espace famille)",
    ),
]


def ensure_child_page(parent, page_class, slug, **fields):
    """The live child page of `parent` with this slug, created and published if missing."""
    existing = parent.get_children().filter(slug=slug).first()
    if existing:
        return existing.specific, False
    page = page_class(slug=slug, **fields)
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page, True


def ensure_home_page():
    """Our HomePage at the root of the default site, replacing Wagtail's welcome page."""
    root = Page.get_first_root_node()
    home = HomePage.objects.first()
    created = False
    if home is None:
        home = HomePage(
            title="Ville de Démo",
            slug="accueil",
            hero_title="Bienvenue à Ville de Démo",
            hero_text="<p>Inscrivez vos enfants à la cantine, à l'accueil périscolaire, "
            "au centre de loisirs et au conservatoire, en ligne, avec le tarif calculé "
            "tout de suite selon votre quotient familial.</p>",
            search_description="Site officiel de la Ville de Démo : démarches, écoles, "
            "activités et portail famille.",
        )
        root.add_child(instance=home)
        home.save_revision().publish()
        created = True
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost",
            port=80,
            root_page=home,
            is_default_site=True,
            site_name="Ville de Démo",
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.site_name = "Ville de Démo"
        site.save()
    # Wagtail's initial migration leaves a "Welcome" page at depth 2: remove it.
    for leftover in (
        root.get_children()
        .exclude(pk=home.pk)
        .filter(content_type__model="page", content_type__app_label="wagtailcore")
    ):
        leftover.delete()
    return home, created


CONTENT_PAGES = [
    {
        "slug": "vie-scolaire",
        "title": "Vie scolaire",
        "show_in_menus": True,
        "introduction": "Écoles, restauration scolaire, accueil périscolaire : tout ce qu'il "
        "faut savoir pour la rentrée.",
        "body": [
            {
                "type": "heading",
                "value": {"text": "Les écoles de la commune", "level": "h2"},
            },
            {
                "type": "paragraph",
                "value": "<p>La commune compte deux écoles maternelles et "
                "deux écoles élémentaires. Les inscriptions scolaires se font en mairie.</p>",
            },
            {
                "type": "faq",
                "value": {
                    "title": "Questions fréquentes",
                    "items": [
                        {
                            "question": "Comment est calculé le tarif de la cantine ?",
                            "answer": "<p>Selon votre quotient familial, récupéré auprès de la CAF ou de "
                            "la MSA avec votre accord, et la grille votée par le conseil municipal.</p>",
                        },
                        {
                            "question": "Je n'ai pas de dossier CAF : que faire ?",
                            "answer": "<p>Envoyez votre avis d'imposition depuis votre espace famille : "
                            "un agent calcule votre quotient.</p>",
                        },
                    ],
                },
            },
        ],
    },
    {
        "slug": "mentions-legales",
        "title": "Mentions légales",
        "introduction": "Éditeur du site, hébergement et droits d'auteur.",
        "body": [
            {
                "type": "paragraph",
                "value": "<p>Éditeur : Ville de Démo, hôtel de ville, 1 place "
                "de la Mairie, 45999 Ville-de-Démo. Directeur de la publication : le maire.</p>",
            },
        ],
    },
    {
        "slug": "donnees-personnelles",
        "title": "Données personnelles",
        "introduction": "Ce que le portail famille conserve, pourquoi, et vos droits.",
        "body": [
            {
                "type": "paragraph",
                "value": "<p>Le service famille de la commune traite vos "
                "données pour inscrire vos enfants et calculer vos tarifs (base légale : mission "
                "d'intérêt public, article L114-8 du code des relations entre le public et "
                "l'administration). Le quotient familial est conservé jusqu'à la fin de sa période "
                "de validité ; le journal des appels à API Particulier 36 mois. Vous pouvez "
                "exercer vos droits auprès du délégué à la protection des données de la "
                "commune.</p>",
            },
        ],
    },
    {
        "slug": "reglement-des-activites",
        "title": "Règlement des activités périscolaires et extrascolaires",
        "introduction": "Les règles que les familles acceptent en inscrivant un enfant.",
        "body": [
            {
                "type": "paragraph",
                "value": "<p>L'inscription vaut engagement à payer les prestations "
                "réservées, au tarif calculé selon le quotient familial. Toute absence non "
                "prévenue 48 heures à l'avance est facturée, sauf sur certificat médical. "
                "Les enfants sont confiés aux animateurs aux horaires de l'activité ; un "
                "enfant ne part qu'avec un responsable légal ou une personne autorisée.</p>",
            },
        ],
    },
    {
        "slug": "accessibilite",
        "title": "Déclaration d'accessibilité",
        "introduction": "La Ville de Démo s'engage à rendre son site accessible, "
        "conformément à l'article 47 de la loi n° 2005-102 du 11 février 2005.",
        "body": [
            {"type": "heading", "value": {"text": "État de conformité", "level": "h2"}},
            {
                "type": "paragraph",
                "value": "<p>Le site n'a pas encore fait l'objet d'un audit "
                "de conformité au référentiel général d'amélioration de l'accessibilité (RGAA) : "
                "il est donc <strong>non conforme</strong> au sens de la réglementation.</p>",
            },
            {
                "type": "heading",
                "value": {"text": "Retour d'information et contact", "level": "h2"},
            },
            {
                "type": "paragraph",
                "value": "<p>Si vous n'arrivez pas à accéder à un contenu ou "
                "à un service, contactez la mairie pour être orienté vers une alternative "
                "accessible ou obtenir le contenu sous une autre forme.</p>",
            },
            {"type": "heading", "value": {"text": "Voies de recours", "level": "h2"}},
            {
                "type": "paragraph",
                "value": "<p>Si vous signalez un défaut d'accessibilité sans "
                "obtenir de réponse satisfaisante, vous pouvez saisir le Défenseur des droits.</p>",
            },
        ],
    },
]


def ensure_content_pages(home):
    pages = {}
    for spec in CONTENT_PAGES:
        spec = dict(spec)
        slug = spec.pop("slug")
        pages[slug], _ = ensure_child_page(home, ContentPage, slug, **spec)
    return pages


def ensure_settings(home, pages):
    site = Site.objects.get(root_page=home)
    commune, created = CommuneSettings.objects.get_or_create(site=site)
    if created or not commune.name:
        commune.name = "Ville de Démo"
        commune.insee_code = DEMO_INSEE_CODE
        commune.postcodes = DEMO_POSTCODE
        commune.siret = DEMO_SIRET
        commune.address = (
            "Hôtel de ville\n1 place de la Mairie\n" + DEMO_POSTCODE + " Ville-de-Démo"
        )
        commune.phone = "01 23 45 67 89"
        commune.email = "famille@demo.example.org"
        commune.service_name = "Service éducation et famille"
        commune.signatory_name = "Claire Dubois"
        commune.signatory_role = (
            "Pour le maire et par délégation, l'adjointe à l'éducation"
        )
        commune.legal_notice_page = pages["mentions-legales"]
        commune.privacy_page = pages["donnees-personnelles"]
        commune.accessibility_page = pages["accessibilite"]
        commune.accessibility_status = "non"
        commune.full_clean()
        commune.save()
    if commune.rules_page_id is None:
        commune.rules_page = pages["reglement-des-activites"]
        commune.save(update_fields=["rules_page"])
    return commune


def news_items(pages, today: datetime.date) -> list[dict]:
    """The home page's news, dated from ``today`` like the rest of the demo; the oldest
    is past the three the home page shows, found by the site search."""

    def item(days_ago, title, summary, page=None):
        return {
            "type": "news_item",
            "value": {
                "title": title,
                "date": (today - datetime.timedelta(days=days_ago)).isoformat(),
                "summary": summary,
                "image": None,
                "page": page.pk if page else None,
            },
        }

    return [
        item(
            2,
            "Accueil de loisirs : le programme des mercredis",
            "Jeux de piste, atelier cuisine et sortie à la ferme pédagogique : le "
            "programme des mercredis est affiché au centre de loisirs des Tilleuls.",
        ),
        item(
            9,
            "Votre tarif calculé en ligne",
            "Avec votre accord, le portail famille récupère votre quotient familial "
            "auprès de la CAF ou de la MSA : le tarif s'affiche aussitôt, sans "
            "justificatif à envoyer.",
            pages["vie-scolaire"],
        ),
        item(
            23,
            "Restauration scolaire : des produits locaux chaque semaine",
            "Le restaurant scolaire Jules-Ferry sert chaque semaine des légumes et des "
            "laitages de producteurs de la commune.",
        ),
        item(
            61,
            "Fermeture exceptionnelle de l'hôtel de ville",
            "L'hôtel de ville a fermé ses portes une journée pour l'inventaire des "
            "archives ; l'espace famille restait ouvert en ligne.",
        ),
    ]


def ensure_news(home, pages, today: datetime.date | None = None):
    """Fill the home page's news once; news an editor wrote is left alone."""
    if len(home.news):
        return
    home.news = news_items(pages, today or timezone.localdate())
    home.save_revision().publish()


EDITOR_PERMISSIONS = [("wagtailadmin", "access_admin")]
# Images and documents are permitted per collection (Wagtail's collection permission
# policy ignores model permissions): the editors get them on the root collection, as
# Wagtail's own "Editors" group does, so that every collection is theirs.
EDITOR_COLLECTION_PERMISSIONS = [
    ("wagtailimages", codename)
    for codename in ("add_image", "change_image", "choose_image", "delete_image")
] + [
    ("wagtaildocs", codename)
    for codename in (
        "add_document",
        "change_document",
        "choose_document",
        "delete_document",
    )
]
AGENT_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("activities", "add_bareme"),
    ("activities", "change_bareme"),
    ("activities", "view_bareme"),
]


def _permissions(pairs):
    return [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in pairs
    ]


def ensure_groups(home):
    editors, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    editors.permissions.add(*_permissions(EDITOR_PERMISSIONS))
    for codename in ("add_page", "change_page", "publish_page"):
        GroupPagePermission.objects.get_or_create(
            group=editors,
            page=home,
            permission=Permission.objects.get(
                content_type__app_label="wagtailcore", codename=codename
            ),
        )
    root_collection = Collection.get_first_root_node()
    for permission in _permissions(EDITOR_COLLECTION_PERMISSIONS):
        GroupCollectionPermission.objects.get_or_create(
            group=editors, collection=root_collection, permission=permission
        )
    agents, _ = Group.objects.get_or_create(name=AGENTS_GROUP)
    agents.permissions.add(*_permissions(AGENT_PERMISSIONS))
    return {EDITORS_GROUP: editors, AGENTS_GROUP: agents}


def ensure_accounts(groups):
    user_model = get_user_model()
    for account in DEMO_ACCOUNTS:
        user, created = user_model.objects.get_or_create(
            username=account.username,
            defaults={
                "email": account.email,
                "first_name": account.first_name,
                "last_name": account.last_name,
            },
        )
        if created:
            user.set_password(account.password)
            user.save()
        if account.group:
            user.groups.add(groups[account.group])


def load_demo():
    """Build (or complete) the demo commune. Returns the home page."""
    if getattr(settings, "PRODUCTION", False):
        raise ImproperlyConfigured("The demo commune must not be loaded in production.")
    home, _ = ensure_home_page()
    pages = ensure_content_pages(home)
    ensure_news(home, pages)
    ensure_settings(home, pages)
    groups = ensure_groups(home)
    ensure_accounts(groups)
    return home
