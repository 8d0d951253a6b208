"""The choices of the barèmes and activity pages.

Kept apart from the models so that forms take them without importing a page model.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class QfRounding(models.TextChoices):
    NONE = "none", _("Aucun : le quotient garde ses décimales")
    FLOOR = "floor", _("Tronqué à l'euro (622,80 → 622)")
    NEAREST = "nearest", _("Arrondi à l'euro le plus proche (622,50 → 623)")


class PricingModel(models.TextChoices):
    BRACKETS = "brackets", _("Grille par tranches de quotient")
    EFFORT_RATE = "effort_rate", _("Taux d'effort (quotient × taux)")


class NoQfMode(models.TextChoices):
    HIGHEST = "highest", _("Tarif le plus élevé (ou prix plafond)")
    PRICE = "price", _("Prix fixé")


class NonResidentMode(models.TextChoices):
    SAME = "", _("Même tarif que les habitants")
    FLAT = "flat", _("Prix forfaitaire")
    MULTIPLIER = "multiplier", _("Tarif multiplié par un coefficient")
    SURCHARGE = "surcharge", _("Tarif majoré d'un montant")


class SiblingsAppliesTo(models.TextChoices):
    ALL = "all", _("Toutes les familles")
    RESIDENTS = "residents", _("Les familles de la commune seulement")


class RoundingMode(models.TextChoices):
    HALF_UP = "half_up", _("Au plus proche (0,005 → 0,01)")
    HALF_EVEN = "half_even", _("Au plus proche, au pair en cas d'égalité")
    UP = "up", _("Au supérieur")
    DOWN = "down", _("À l'inférieur")


class ResidenceCondition(models.TextChoices):
    ANY = "", _("Tous")
    RESIDENT = "resident", _("Habitants de la commune")
    NON_RESIDENT = "non_resident", _("Hors commune")


class ActivityCategory(models.TextChoices):
    CANTEEN = "restauration", _("Restauration scolaire")
    AFTER_SCHOOL = "periscolaire", _("Accueil périscolaire")
    LEISURE_CENTRE = "loisirs", _("Accueil de loisirs")
    STUDY = "etudes", _("Études surveillées")
    CONSERVATORY = "conservatoire", _("Conservatoire")
    SPORT = "sport", _("Sport")
    CULTURE = "culture", _("Culture")
    OTHER = "autre", _("Autre")
