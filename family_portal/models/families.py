"""Families, their guardians (parents) and children, with the codes and choices they use."""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from home import communes
from home.names import PersonNameField
from qf_connector import limits

from .storage import private_storage

COG_VALIDATOR = RegexValidator(
    r"^([013-9]\d|2[AB1-9])\d{3}$",
    _("Le code commune INSEE compte 5 caractères (par exemple 75056 ou 2A004)."),
)
COUNTRY_VALIDATOR = RegexValidator(
    r"^99\d{3}$",
    _("Le code pays INSEE compte 5 chiffres et commence par 99 (par exemple 99134)."),
)
POSTCODE_VALIDATOR = RegexValidator(r"^\d{5}$", _("Le code postal compte 5 chiffres."))


class Sex(models.TextChoices):
    FEMALE = "F", _("Féminin")
    MALE = "M", _("Masculin")


class Residence(models.TextChoices):
    RESIDENT = "resident", _("Résident de la commune")
    NON_RESIDENT = "non_resident", _("Hors commune")


class SchoolLevel(models.TextChoices):
    NONE = "", _("Non scolarisé")
    TPS = "TPS", _("Toute petite section")
    PS = "PS", _("Petite section")
    MS = "MS", _("Moyenne section")
    GS = "GS", _("Grande section")
    CP = "CP", _("CP")
    CE1 = "CE1", _("CE1")
    CE2 = "CE2", _("CE2")
    CM1 = "CM1", _("CM1")
    CM2 = "CM2", _("CM2")
    COLLEGE = "college", _("Collège")
    LYCEE = "lycee", _("Lycée")


class Diet(models.TextChoices):
    """What the kitchen must know to cook a child's meal."""

    NONE = "", _("Aucun régime particulier")
    NO_PORK = "sans_porc", _("Sans porc")
    NO_MEAT = "sans_viande", _("Sans viande")
    VEGETARIAN = "vegetarien", _("Végétarien")
    GLUTEN_FREE = "sans_gluten", _("Sans gluten")
    PAI = "pai", _("PAI alimentaire (allergie)")
    OTHER = "autre", _("Autre régime")


def describe_diet(diet: str, details: str = "") -> str:
    """A diet as the kitchen and the animateurs read it ("" without one)."""
    label = str(Diet(diet).label) if diet in Diet.values and diet else ""
    details = (details or "").strip()
    if label and details:
        return f"{label} : {details}"
    return label or details


def photo_version(name: str) -> str:
    """What changes with a photo (its random file name, see ``child_photo_path``): the
    photo's URLs carry it, so that no cache ever shows a replaced photo."""
    return name.rsplit("/", 1)[-1].split(".")[0][:12] if name else ""


def child_photo_path(child, filename):
    # A random name: the file's name says nothing of the child, and a new photo gets a
    # new name (the check-in tablets' cache never shows an old one).
    return f"photos-enfants/{uuid.uuid4().hex}.jpg"


class Family(models.Model):
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="FamilyAccount",
        related_name="families",
        verbose_name=_("comptes"),
        blank=True,
    )
    name = PersonNameField(_("nom de la famille"), max_length=150)
    street = models.CharField(_("adresse"), max_length=250, blank=True)
    postcode = models.CharField(
        _("code postal"), max_length=5, blank=True, validators=[POSTCODE_VALIDATOR]
    )
    city = models.CharField(_("commune"), max_length=150, blank=True)
    residence_override = models.CharField(
        _("résidence fixée par un agent"),
        max_length=20,
        choices=Residence.choices,
        blank=True,
    )
    residence_override_reason = models.CharField(
        _("motif de la résidence fixée"), max_length=250, blank=True
    )
    qf_refresh_consent = models.BooleanField(
        _("accord pour la mise à jour annuelle du QF"),
        default=False,
        help_text=_(
            "La famille accepte que la commune interroge API Particulier chaque année."
        ),
    )
    qf_refresh_consent_at = models.DateTimeField(
        _("accord donné ou retiré le"), null=True, blank=True
    )
    qf_refresh_consent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accord donné ou retiré par"),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("famille")
        verbose_name_plural = _("familles")
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.residence_override and not self.residence_override_reason:
            raise ValidationError(
                {
                    "residence_override_reason": _(
                        "Indiquez pourquoi la résidence est fixée."
                    )
                }
            )

    def set_qf_refresh_consent(self, given: bool, *, user) -> None:
        """Give or withdraw the consent to background lookups, recording when and who."""
        self.qf_refresh_consent = given
        self.qf_refresh_consent_at = timezone.now()
        self.qf_refresh_consent_by = user
        self.save(
            update_fields=[
                "qf_refresh_consent",
                "qf_refresh_consent_at",
                "qf_refresh_consent_by",
                "updated_at",
            ]
        )

    @property
    def qf_refresh_consent_withdrawn(self) -> bool:
        return not self.qf_refresh_consent and self.qf_refresh_consent_at is not None

    @classmethod
    def for_user(cls, user):
        """The family of a parent account, or None."""
        if not user.is_authenticated:
            return None
        return cls.objects.filter(users=user).first()

    def residence(self, commune):
        """Resident when the address lies in the commune, unless an agent decided.

        `commune` is the site's CommuneSettings. A commune missing from the national
        referential (the fictional demo commune) is recognised by its postcodes and name.
        """
        if self.residence_override:
            return self.residence_override
        if communes.is_same_commune(self.postcode, self.city, commune.insee_code):
            return Residence.RESIDENT
        if (
            communes.by_code(commune.insee_code) is None
            and self.postcode in commune.postcode_list
            and communes.normalise(self.city) == communes.normalise(commune.name)
        ):
            return Residence.RESIDENT
        return Residence.NON_RESIDENT

    def current_quotient(self, on=None):
        """The family's QF record valid on this date (the most recent month first)."""
        on = on or timezone.localdate()
        return (
            self.quotients.filter(valid_from__lte=on, valid_until__gte=on)
            .exclude(status=self.quotients.model.Status.SUPERSEDED)
            .order_by("-month", "-created_at")
            .first()
        )


class FamilyAccount(models.Model):
    """An account's access to its family. A family may have several accounts (both
    parents); an account has one family at most, which the database enforces: two
    "créer ma famille" sent at once from one account make one family, not two."""

    family = models.ForeignKey(Family, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)

    class Meta:
        # The table Django made for the many-to-many field before it had this model.
        db_table = "family_portal_family_users"
        verbose_name = _("compte de la famille")
        verbose_name_plural = _("comptes de la famille")
        constraints = [
            models.UniqueConstraint(fields=["user"], name="one_family_per_account")
        ]

    def __str__(self):
        return f"{self.user} → {self.family}"


class Guardian(models.Model):
    """A parent or legal guardian, with the civil status API Particulier needs."""

    family = models.ForeignKey(
        Family,
        on_delete=models.CASCADE,
        related_name="guardians",
        verbose_name=_("famille"),
    )
    birth_name = PersonNameField(_("nom de naissance"), max_length=100)
    usage_name = PersonNameField(_("nom d'usage"), max_length=100, blank=True)
    first_name = PersonNameField(_("premier prénom"), max_length=100)
    second_first_name = PersonNameField(
        _("deuxième prénom"), max_length=100, blank=True
    )
    third_first_name = PersonNameField(
        _("troisième prénom"), max_length=100, blank=True
    )
    sex = models.CharField(_("sexe à l'état civil"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("date de naissance"))
    born_abroad = models.BooleanField(_("né(e) à l'étranger"), default=False)
    birth_commune_code = models.CharField(
        _("code INSEE de la commune de naissance"),
        max_length=5,
        blank=True,
        validators=[COG_VALIDATOR],
    )
    birth_country_code = models.CharField(
        _("code INSEE du pays de naissance"),
        max_length=5,
        blank=True,
        validators=[COUNTRY_VALIDATOR],
    )
    email = models.EmailField(_("adresse électronique"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    is_allocataire = models.BooleanField(
        _("allocataire CAF ou MSA"),
        default=True,
        help_text=_("La personne qui détient le dossier CAF ou MSA de la famille."),
    )
    # The keyed digest of the civil status (qf_connector/limits.py), kept up to date by
    # save(): agents are warned of a person who is the guardian of two families.
    identity_digest = models.CharField(
        _("empreinte de l'état civil"),
        max_length=64,
        blank=True,
        db_index=True,
        editable=False,
    )
    # The civil status comes from FranceConnect's pivot identity (family_portal/
    # franceconnect/identity.py): nobody edits CERTIFIED_FIELDS by hand while it is set.
    certified_at = models.DateTimeField(
        _("état civil certifié FranceConnect le"), null=True, blank=True, editable=False
    )
    franceconnect_sub = models.CharField(
        _("identifiant FranceConnect"),
        max_length=255,
        blank=True,
        editable=False,
        db_index=True,
    )

    CERTIFIED_FIELDS = (
        "birth_name",
        "usage_name",
        "first_name",
        "second_first_name",
        "third_first_name",
        "sex",
        "birth_date",
        "born_abroad",
        "birth_commune_code",
        "birth_country_code",
    )

    class Meta:
        verbose_name = _("responsable légal")
        verbose_name_plural = _("responsables légaux")
        ordering = ["family", "pk"]

    def __str__(self):
        return f"{self.first_name} {self.usage_name or self.birth_name}"

    @property
    def first_names(self):
        return [
            name
            for name in (self.first_name, self.second_first_name, self.third_first_name)
            if name
        ]

    def save(self, *args, **kwargs):
        self.identity_digest = limits.identity_digest(
            self.birth_name, self.first_names, self.sex, self.birth_date
        )
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "identity_digest"}
        super().save(*args, **kwargs)

    @property
    def is_certified(self) -> bool:
        """Civil status certified by FranceConnect: not editable by hand."""
        return self.certified_at is not None

    def clean(self):
        errors = {}
        if self.born_abroad:
            if not self.birth_country_code:
                errors["birth_country_code"] = _("Indiquez le pays de naissance.")
            elif self.birth_country_code == "99100":
                errors["birth_country_code"] = _(
                    "Le code 99100 désigne la France : décochez « né(e) à l'étranger »."
                )
        elif not self.birth_commune_code:
            errors["birth_commune_code"] = _("Indiquez la commune de naissance.")
        if self.birth_date and self.birth_date > timezone.localdate():
            errors["birth_date"] = _(
                "La date de naissance ne peut pas être dans le futur."
            )
        errors.update(self._certified_changes())
        if errors:
            raise ValidationError(errors)

    def _certified_changes(self) -> dict:
        """A civil status certified by FranceConnect is not edited by hand (the parent's
        form shows it read-only; any other form, an agent's, is refused here)."""
        if self.pk is None or self.certified_at is None:
            return {}
        stored = (
            type(self)
            .objects.filter(pk=self.pk, certified_at__isnull=False)
            .values(*self.CERTIFIED_FIELDS)
            .first()
        )
        if stored is None:
            return {}
        return {
            name: _("Certifié FranceConnect : ne peut pas être modifié à la main.")
            for name in self.CERTIFIED_FIELDS
            if getattr(self, name) != stored[name]
        }


class Child(models.Model):
    family = models.ForeignKey(
        Family,
        on_delete=models.CASCADE,
        related_name="children",
        verbose_name=_("famille"),
    )
    first_name = PersonNameField(_("prénom"), max_length=100)
    last_name = PersonNameField(_("nom"), max_length=100)
    birth_date = models.DateField(_("date de naissance"))
    school_level = models.CharField(
        _("niveau scolaire"), max_length=10, choices=SchoolLevel.choices, blank=True
    )
    school = models.CharField(_("école"), max_length=150, blank=True)
    # The family file the check-in list and the kitchen read: shown to the family, the
    # family service and the animateurs of the sites receiving the child, nobody else.
    diet = models.CharField(
        _("régime alimentaire"), max_length=20, choices=Diet.choices, blank=True
    )
    diet_details = models.CharField(
        _("précisions sur le régime"),
        max_length=200,
        blank=True,
        help_text=_("Par exemple : sans porc ni bœuf, allergie à l'arachide."),
    )
    health_notes = models.TextField(
        _("santé, allergies, PAI"),
        max_length=1000,
        blank=True,
        help_text=_(
            "Ce que l'équipe qui accueille l'enfant doit savoir (allergie, traitement, "
            "PAI, conduite à tenir). Visible seulement de vous, du service famille et "
            "des animateurs du lieu qui accueille l'enfant."
        ),
    )
    # Set only through family_portal/child_photos.py (checked, resized, private).
    photo = models.FileField(
        _("photo"),
        upload_to=child_photo_path,
        storage=private_storage,
        blank=True,
        editable=False,
    )

    class Meta:
        verbose_name = _("enfant")
        verbose_name_plural = _("enfants")
        ordering = ["family", "birth_date", "pk"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    def clean(self):
        errors = {}
        if self.birth_date and self.birth_date > timezone.localdate():
            errors["birth_date"] = _(
                "La date de naissance ne peut pas être dans le futur."
            )
        if self.diet == Diet.OTHER and not self.diet_details.strip():
            errors["diet_details"] = _(
                "Précisez le régime : la cuisine doit savoir ce qu'elle prépare."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def photo_version(self) -> str:
        return photo_version(self.photo.name if self.photo else "")

    @property
    def diet_text(self) -> str:
        return describe_diet(self.diet, self.diet_details)

    def age_on(self, day):
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years
