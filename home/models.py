"""Home page, content pages and the commune's site settings."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail import hooks
from wagtail.admin.panels import (
    FieldPanel,
    InlinePanel,
    MultiFieldPanel,
    PageChooserPanel,
)
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from .blocks import BaseStreamBlock, NewsItemBlock
from .names import PersonNameField
from .siret import is_valid_siret


def validate_siret(value):
    if not is_valid_siret(value):
        raise ValidationError(
            _("Le SIRET doit compter 14 chiffres et être valide (clé de contrôle)."),
            code="invalid_siret",
        )


# A Wagtail hook: ``fn(home_page, request, context)`` adds to the home page's context.
HOME_PAGE_CONTEXT_HOOK = "portail_home_page_context"
LATEST_NEWS_COUNT = 3


class HomePage(Page):
    hero_title = models.CharField(_("titre d'accueil"), max_length=150, blank=True)
    hero_text = RichTextField(
        _("texte d'accueil"), blank=True, features=["bold", "italic", "link"]
    )
    hero_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("image d'accueil"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    hero_cta_text = models.CharField(_("texte du bouton"), max_length=80, blank=True)
    hero_cta_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("page du bouton"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    news = StreamField(
        [("news_item", NewsItemBlock())],
        verbose_name=_("actualités"),
        blank=True,
        use_json_field=True,
    )
    body = StreamField(BaseStreamBlock(), verbose_name=_("contenu"), blank=True)

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldPanel("hero_title"),
                FieldPanel("hero_text"),
                FieldPanel("hero_image"),
                FieldPanel("hero_cta_text"),
                FieldPanel("hero_cta_page"),
            ],
            heading=_("Bandeau d'accueil"),
        ),
        InlinePanel(
            "highlights",
            label=_("Activités mises en avant"),
            max_num=6,
            help_text=_(
                "Sans choix de votre part, la page d'accueil montre d'elle-même les "
                "activités dont les inscriptions sont ouvertes (celles qui ferment le "
                "plus tôt d'abord), puis celles qui ouvrent bientôt."
            ),
        ),
        FieldPanel("news"),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("hero_text")]

    parent_page_types = ["wagtailcore.Page"]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("page d'accueil")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # Apps above this one add what they know (the family portal: the highlighted
        # activities with their places left), read lazily: only if the page body is
        # rendered, not when it comes from the cache.
        for add_context in hooks.get_hooks(HOME_PAGE_CONTEXT_HOOK):
            add_context(self, request, context)
        return context

    def latest_news(self, count: int = LATEST_NEWS_COUNT):
        """The news items, newest first (undated ones last, in the editors' order)."""
        items = list(self.news)
        dated = sorted(
            (item for item in items if item.value.get("date")),
            key=lambda item: item.value["date"],
            reverse=True,
        )
        undated = [item for item in items if not item.value.get("date")]
        return (dated + undated)[:count]


class HomePageHighlight(Orderable):
    home = ParentalKey(HomePage, on_delete=models.CASCADE, related_name="highlights")
    page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("page"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    text = models.CharField(
        _("accroche"),
        max_length=200,
        blank=True,
        help_text=_(
            "Par défaut, le chapô de l'activité ou la description de la page pour "
            "les moteurs de recherche."
        ),
    )

    # The chooser offers activity pages (named, not imported: home imports no app above).
    panels = [PageChooserPanel("page", "activities.ActivityPage"), FieldPanel("text")]

    class Meta(Orderable.Meta):
        verbose_name = _("activité mise en avant")
        verbose_name_plural = _("activités mises en avant")


class ContentPage(Page):
    introduction = models.TextField(_("chapô"), blank=True, max_length=500)
    body = StreamField(BaseStreamBlock(), verbose_name=_("contenu"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("introduction"),
        FieldPanel("body"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("introduction"),
        index.SearchField("body"),
    ]

    parent_page_types = ["home.HomePage", "home.ContentPage"]

    class Meta:
        verbose_name = _("page de contenu")
        verbose_name_plural = _("pages de contenu")


@register_setting(icon="site")
class CommuneSettings(BaseSiteSetting):
    """Who the commune is: shown in the footer, used as API Particulier recipient and on
    certificates."""

    name = models.CharField(_("nom de la commune"), max_length=150, default="")
    insee_code = models.CharField(
        _("code INSEE (COG)"),
        max_length=5,
        blank=True,
        help_text=_("Sert à reconnaître les familles résidentes."),
    )
    postcodes = models.CharField(
        _("codes postaux de la commune"),
        max_length=100,
        blank=True,
        help_text=_(
            "Séparés par des virgules ; servent à reconnaître les familles résidentes."
        ),
    )
    siret = models.CharField(
        _("SIRET"),
        max_length=14,
        blank=True,
        validators=[validate_siret],
        help_text=_("Celui de la commune : il est transmis à API Particulier."),
    )
    address = models.TextField(_("adresse postale"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email = models.EmailField(_("adresse électronique"), blank=True)
    opening_hours = models.TextField(
        _("horaires d'accueil du service famille"),
        blank=True,
        help_text=_(
            "Le guichet où les familles paient sur place, par exemple « Mairie, "
            "guichet famille : lundi au vendredi, 8 h 30 – 12 h et 13 h 30 – 17 h ». "
            "Rappelés dans les relances de factures impayées."
        ),
    )
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    service_name = models.CharField(
        _("service émetteur des attestations"),
        max_length=150,
        blank=True,
        default="",
    )
    # Printed on the certificates: a person's name, under the names' rule.
    signatory_name = PersonNameField(_("nom du signataire"), max_length=150, blank=True)
    signatory_role = models.CharField(
        _("qualité du signataire"),
        max_length=150,
        blank=True,
        help_text=_(
            "Par exemple : « Pour le maire et par délégation, l'adjointe à "
            "l'éducation »."
        ),
    )
    legal_notice_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("page des mentions légales"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accessibility_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("page de la déclaration d'accessibilité"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    accessibility_status = models.CharField(
        _("état de conformité RGAA"),
        max_length=20,
        choices=[
            ("non", _("Non conforme")),
            ("partial", _("Partiellement conforme")),
            ("full", _("Totalement conforme")),
        ],
        default="non",
        help_text=_("Affiché dans le pied de page, comme le veut le RGAA."),
    )
    privacy_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("page des données personnelles"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rules_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("page du règlement des activités"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_(
            "Le règlement que les familles acceptent en confirmant une inscription : "
            "le formulaire d'inscription y renvoie."
        ),
    )

    # No select_related: every page reads the name (the <title>), but the logo and the
    # footer's pages only when the header and footer fragments are rendered, which the
    # cache spares almost every request; joining three pages and an image costs more
    # than the four small queries of a cache miss.

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("name"),
                FieldPanel("insee_code"),
                FieldPanel("siret"),
                FieldPanel("logo"),
            ],
            heading=_("La commune"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("address"),
                FieldPanel("phone"),
                FieldPanel("email"),
                FieldPanel("opening_hours"),
            ],
            heading=_("Coordonnées"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("service_name"),
                FieldPanel("signatory_name"),
                FieldPanel("signatory_role"),
            ],
            heading=_("Attestations de tarif"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("legal_notice_page"),
                FieldPanel("accessibility_page"),
                FieldPanel("accessibility_status"),
                FieldPanel("privacy_page"),
                FieldPanel("rules_page"),
            ],
            heading=_("Pages réglementaires"),
        ),
    ]

    class Meta:
        verbose_name = _("paramètres de la commune")

    @property
    def postcode_list(self):
        return [code.strip() for code in self.postcodes.split(",") if code.strip()]
