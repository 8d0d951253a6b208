"""Frozen barème versions: what pages and enrolments price with."""

from __future__ import annotations

from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from ..pricing import Quote, Situation, parse_bareme, quote
from ..pricing.model import Bareme as PricingBareme


class BaremeVersionQuerySet(models.QuerySet):
    def latest_per_bareme(self):
        """The latest version of each barème."""
        latest_number = (
            BaremeVersion.objects.filter(bareme=OuterRef("bareme"))
            .order_by("-number")
            .values("number")[:1]
        )
        return self.filter(number=Subquery(latest_number))


class BaremeVersion(models.Model):
    """A barème exactly as it priced: the document is frozen once ``locked``."""

    bareme = models.ForeignKey(
        "Bareme",
        verbose_name=_("barème"),
        on_delete=models.CASCADE,
        related_name="versions",
    )
    number = models.PositiveIntegerField(_("version"))
    document = models.JSONField(_("document bareme/1"))
    locked = models.BooleanField(
        _("utilisée"),
        default=False,
        help_text=_(
            "A servi à tarifer une inscription : elle ne change plus, une modification "
            "crée une nouvelle version."
        ),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    objects = BaremeVersionQuerySet.as_manager()

    class Meta:
        ordering = ["bareme", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["bareme", "number"], name="unique_bareme_version_number"
            )
        ]
        verbose_name = _("version de barème")
        verbose_name_plural = _("versions de barème")

    def __str__(self):
        return f"{self.document.get('id', '?')} v{self.number}"

    @cached_property
    def pricing(self) -> PricingBareme:
        return parse_bareme(self.document)

    def quote(self, situation: Situation) -> Quote:
        """The price of ``situation``; ``PricingError`` (French message) if it has none."""
        return quote(self.pricing, situation)

    def is_in_use(self) -> bool:
        """Whether an enrolment was priced with this version (then it never changes)."""
        return self.locked

    def mark_used(self) -> None:
        """Call when this version prices an enrolment: later edits make a new version."""
        if not self.locked:
            BaremeVersion.objects.filter(pk=self.pk).update(locked=True)
            self.locked = True
