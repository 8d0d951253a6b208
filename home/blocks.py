"""StreamField blocks shared by every page type (content pages, home, activity descriptions)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageBlock


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Titre"), max_length=200)
    level = blocks.ChoiceBlock(
        label=_("Niveau"),
        choices=[("h2", _("Titre de section (h2)")), ("h3", _("Sous-titre (h3)"))],
        default="h2",
    )

    class Meta:
        icon = "title"
        label = _("Titre")
        template = "blocks/heading_block.html"
        preview_value = {
            "text": "Inscriptions à la restauration scolaire",
            "level": "h2",
        }
        description = _("Un titre de section, pour structurer la page.")


class RichTextBlock(blocks.RichTextBlock):
    class Meta:
        icon = "pilcrow"
        label = _("Texte")
        template = "blocks/rich_text_block.html"
        features = ["bold", "italic", "link", "document-link", "ol", "ul", "h3", "h4"]
        preview_value = "<p>Les inscriptions sont ouvertes du 1er au 30 juin.</p>"
        description = _("Paragraphes, listes et liens.")


class ImageWithCaptionBlock(blocks.StructBlock):
    # ImageBlock carries the alt text and the "decorative" choice with the image itself.
    image = ImageBlock(label=_("Image"))
    caption = blocks.CharBlock(label=_("Légende"), required=False, max_length=250)

    class Meta:
        icon = "image"
        label = _("Image")
        template = "blocks/image_block.html"
        description = _(
            "Une image avec son texte alternatif et une légende facultative."
        )


class DocumentLinkBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Document"))
    title = blocks.CharBlock(
        label=_("Intitulé du lien"),
        required=False,
        help_text=_("Par défaut, le titre du document."),
    )

    class Meta:
        icon = "doc-full"
        label = _("Document à télécharger")
        template = "blocks/document_link_block.html"
        description = _("Un lien vers un document, avec son format et son poids.")


class CallToActionBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Texte du bouton"), max_length=80)
    page = blocks.PageChooserBlock(label=_("Page"), required=False)
    url = blocks.URLBlock(label=_("ou adresse web"), required=False)
    description = blocks.CharBlock(label=_("Phrase d'accroche"), required=False)

    class Meta:
        icon = "pick"
        label = _("Appel à l'action")
        template = "blocks/call_to_action_block.html"
        preview_value = {"text": "S'inscrire en ligne", "url": "https://example.org"}
        description = _("Un bouton bien visible vers une page ou une adresse.")

    def clean(self, value):
        value = super().clean(value)
        if bool(value.get("page")) == bool(value.get("url")):
            raise blocks.StructBlockValidationError(
                block_errors={
                    "page": ValidationError(
                        _(
                            "Choisissez une page ou saisissez une adresse web (l'un ou l'autre)."
                        )
                    )
                }
            )
        return value


class FaqItemBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("Question"), max_length=250)
    answer = blocks.RichTextBlock(
        label=_("Réponse"), features=["bold", "italic", "link", "ol", "ul"]
    )

    class Meta:
        icon = "help"
        label = _("Question")


class FaqBlock(blocks.StructBlock):
    title = blocks.CharBlock(
        label=_("Titre"), required=False, default="Questions fréquentes"
    )
    items = blocks.ListBlock(FaqItemBlock(), label=_("Questions"))

    class Meta:
        icon = "help"
        label = _("Foire aux questions")
        template = "blocks/faq_block.html"
        description = _("Des questions dépliables, utilisables sans JavaScript.")


class BaseStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = RichTextBlock()
    image = ImageWithCaptionBlock()
    document = DocumentLinkBlock()
    call_to_action = CallToActionBlock()
    faq = FaqBlock()


class NewsItemBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Titre"), max_length=150)
    date = blocks.DateBlock(label=_("Date"), required=False)
    summary = blocks.TextBlock(label=_("Résumé"), max_length=400)
    image = ImageBlock(label=_("Image"), required=False)
    page = blocks.PageChooserBlock(label=_("Page liée"), required=False)

    class Meta:
        icon = "date"
        label = _("Actualité")
        template = "blocks/news_item_block.html"
        preview_value = {
            "title": "Rentrée scolaire",
            "summary": "Les inscriptions ouvrent.",
        }
        description = _("Une brève d'actualité, avec un lien facultatif.")
