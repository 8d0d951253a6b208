"""Families, guardians, children, quotient familial records, QF documents and enrolments.

The tariff of an enrolment is frozen in a snapshot (amount, unit, barème version,
délibération, QF used and its source, explanation) when it is confirmed: later barème
edits never change it silently; a re-pricing replaces it with an audit trail.
"""

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from home import communes

COG_VALIDATOR = RegexValidator(
    r"^([013-9]\d|2[AB1-9])\d{3}$",
    _("Le code commune INSEE compte 5 caractères (par exemple 75056 ou 2A004)."),
)
COUNTRY_VALIDATOR = RegexValidator(
    r"^99\d{3}$",
    _("Le code pays INSEE compte 5 chiffres et commence par 99 (par exemple 99134)."),
)
POSTCODE_VALIDATOR = RegexValidator(r"^\d{5}$", _("Le code postal compte 5 chiffres."))


def private_storage():
    # QF documents are never served from MEDIA_URL: only the family and the agents may
    # read them, through a view that checks who asks.
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


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


class Family(models.Model):
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="families",
        verbose_name=_("comptes"),
        blank=True,
    )
    name = models.CharField(_("nom de la famille"), max_length=150)
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
            .exclude(status=QuotientRecord.Status.SUPERSEDED)
            .order_by("-month", "-created_at")
            .first()
        )


class Guardian(models.Model):
    """A parent or legal guardian, with the civil status API Particulier needs."""

    family = models.ForeignKey(
        Family,
        on_delete=models.CASCADE,
        related_name="guardians",
        verbose_name=_("famille"),
    )
    birth_name = models.CharField(_("nom de naissance"), max_length=100)
    usage_name = models.CharField(_("nom d'usage"), max_length=100, blank=True)
    first_name = models.CharField(_("premier prénom"), max_length=100)
    second_first_name = models.CharField(
        _("deuxième prénom"), max_length=100, blank=True
    )
    third_first_name = models.CharField(
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
        if errors:
            raise ValidationError(errors)


class Child(models.Model):
    family = models.ForeignKey(
        Family,
        on_delete=models.CASCADE,
        related_name="children",
        verbose_name=_("famille"),
    )
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    birth_date = models.DateField(_("date de naissance"))
    school_level = models.CharField(
        _("niveau scolaire"), max_length=10, choices=SchoolLevel.choices, blank=True
    )
    school = models.CharField(_("école"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("enfant")
        verbose_name_plural = _("enfants")
        ordering = ["family", "birth_date", "pk"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    def clean(self):
        if self.birth_date and self.birth_date > timezone.localdate():
            raise ValidationError(
                {
                    "birth_date": _(
                        "La date de naissance ne peut pas être dans le futur."
                    )
                }
            )

    def age_on(self, day):
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


class QuotientRecord(models.Model):
    """A quotient familial the portal may price with: its value, source and month.

    We keep what DESIGN.md lists, nothing of the raw API answer.
    """

    class Source(models.TextChoices):
        API = "api", _("API Particulier")
        DOCUMENT = "document", _("Justificatif vérifié par un agent")
        MANUAL = "manual", _("Saisie par un agent")

    class Provider(models.TextChoices):
        CNAF = "CNAF", _("CAF")
        MSA = "MSA", _("MSA")
        TAX = "tax", _("Avis d'imposition")
        OTHER = "other", _("Autre")

    class Status(models.TextChoices):
        ACTIVE = "active", _("En vigueur")
        SUPERSEDED = "superseded", _("Remplacé")

    family = models.ForeignKey(
        Family,
        on_delete=models.CASCADE,
        related_name="quotients",
        verbose_name=_("famille"),
    )
    value = models.DecimalField(
        _("quotient familial (€)"),
        max_digits=9,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    provider = models.CharField(_("organisme"), max_length=10, choices=Provider.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    month = models.DateField(_("mois du QF"), help_text=_("Le premier jour du mois."))
    computed_month = models.DateField(_("mois de calcul"), null=True, blank=True)
    retrieved_at = models.DateTimeField(_("obtenu le"), default=timezone.now)
    request_id = models.CharField(
        _("identifiant de requête"), max_length=64, blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enregistré par"),
    )
    document = models.ForeignKey(
        "QfDocument",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quotients",
        verbose_name=_("justificatif"),
    )
    tax_year = models.PositiveSmallIntegerField(
        _("année de l'avis"), null=True, blank=True
    )
    formula = models.CharField(_("calcul"), max_length=250, blank=True)
    flags = models.JSONField(_("situations particulières"), default=list, blank=True)
    valid_from = models.DateField(_("valable à partir du"))
    valid_until = models.DateField(_("valable jusqu'au"))
    status = models.CharField(
        _("état"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("quotient familial")
        verbose_name_plural = _("quotients familiaux")
        ordering = ["-month", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("valid_from")),
                name="quotient_validity_in_order",
            )
        ]

    def __str__(self):
        return f"{self.value} € ({self.get_provider_display()}, {self.month:%m/%Y})"

    @property
    def regime(self):
        """The barème's `regime` word for this QF."""
        return self.provider if self.provider in {"CNAF", "MSA"} else "none"

    @staticmethod
    def school_year_end(day):
        """QFs are valid for the school year: until the next 31 August."""
        year = day.year if day.month < 9 else day.year + 1
        return datetime.date(year, 8, 31)


class QfDocument(models.Model):
    """A CAF/MSA attestation or an avis d'imposition sent by a family, checked by an agent."""

    MAX_SIZE = 5 * 1024 * 1024

    class Kind(models.TextChoices):
        CAF_ATTESTATION = "caf", _("Attestation de quotient familial CAF ou MSA")
        TAX_NOTICE = "tax", _("Avis d'imposition")

    class Status(models.TextChoices):
        PENDING = "pending", _("À vérifier")
        ACCEPTED = "accepted", _("Accepté")
        REJECTED = "rejected", _("Refusé")

    family = models.ForeignKey(
        Family,
        on_delete=models.CASCADE,
        related_name="documents",
        verbose_name=_("famille"),
    )
    kind = models.CharField(
        _("type de justificatif"), max_length=10, choices=Kind.choices
    )
    file = models.FileField(
        _("fichier"), upload_to="justificatifs/%Y/%m/", storage=private_storage
    )
    original_name = models.CharField(_("nom du fichier"), max_length=255, blank=True)
    content_type = models.CharField(_("type"), max_length=50, blank=True)
    uploaded_at = models.DateTimeField(_("envoyé le"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("envoyé par"),
    )
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vérifié par"),
    )
    checked_at = models.DateTimeField(_("vérifié le"), null=True, blank=True)
    rejection_reason = models.TextField(_("motif du refus"), blank=True)

    class Meta:
        verbose_name = _("justificatif de quotient familial")
        verbose_name_plural = _("justificatifs de quotient familial")
        ordering = ["-uploaded_at"]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.family}"


class EnrolmentQuerySet(models.QuerySet):
    def holding_place(self):
        return self.filter(status__in=Enrolment.PLACE_HOLDING)

    def active(self):
        return self.exclude(status=Enrolment.Status.CANCELLED)


class Enrolment(models.Model):
    """One child in one period of one activity, with its frozen tariff snapshot."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Inscrit")
        QF_PENDING = "qf_pending", _("Inscrit — QF à vérifier")
        WAITING = "waiting", _("Liste d'attente")
        CANCELLED = "cancelled", _("Annulé")

    class QfSource(models.TextChoices):
        RECORD = "record", _("Quotient familial enregistré")
        API = "api", _("API Particulier")
        DOCUMENT = "document", _("Justificatif envoyé")
        NONE = "none", _("Sans quotient familial")
        UNAVAILABLE = "unavailable", _("API indisponible : tarif provisoire")

    PLACE_HOLDING = (Status.CONFIRMED, Status.QF_PENDING)

    reference = models.UUIDField(
        _("référence"), default=uuid.uuid4, unique=True, editable=False
    )
    family = models.ForeignKey(
        Family,
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("famille"),
    )
    child = models.ForeignKey(
        Child,
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("enfant"),
    )
    period = models.ForeignKey(
        "activities.ActivityPeriod",
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("période"),
    )
    status = models.CharField(_("état"), max_length=12, choices=Status.choices)
    waiting_since = models.DateTimeField(_("en attente depuis"), null=True, blank=True)
    qf_source = models.CharField(
        _("origine du QF"), max_length=12, choices=QfSource.choices
    )
    quotient = models.ForeignKey(
        QuotientRecord,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enrolments",
        verbose_name=_("quotient familial utilisé"),
    )
    child_rank = models.PositiveSmallIntegerField(
        _("rang de l'enfant"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    residence = models.CharField(
        _("résidence"), max_length=20, choices=Residence.choices
    )
    # The frozen tariff snapshot.
    bareme_version = models.ForeignKey(
        "activities.BaremeVersion",
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("barème appliqué"),
    )
    amount = models.DecimalField(_("tarif"), max_digits=9, decimal_places=2)
    unit = models.CharField(_("unité"), max_length=50)
    deliberation_reference = models.CharField(_("délibération"), max_length=100)
    deliberation_date = models.DateField(_("date de la délibération"))
    qf_value = models.DecimalField(
        _("QF retenu"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    qf_month = models.DateField(_("mois du QF"), null=True, blank=True)
    qf_provider = models.CharField(_("organisme du QF"), max_length=10, blank=True)
    column = models.CharField(_("colonne"), max_length=100, blank=True)
    bracket = models.CharField(_("tranche"), max_length=150, blank=True)
    explanation = models.JSONField(_("explication"), default=list)
    priced_at = models.DateTimeField(_("tarif calculé le"), default=timezone.now)
    price_overridden = models.BooleanField(
        _("tarif corrigé par un agent"), default=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("inscrit par"),
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    objects = EnrolmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("inscription")
        verbose_name_plural = _("inscriptions")
        ordering = ["-created_at"]
        constraints = [
            # One enrolment per child and period: a double submit creates nothing more.
            models.UniqueConstraint(
                fields=["child", "period"],
                condition=~Q(status="cancelled"),
                name="one_enrolment_per_child_and_period",
            )
        ]
        indexes = [models.Index(fields=["period", "status", "waiting_since"])]

    def __str__(self):
        return f"{self.child} — {self.period}"

    @cached_property
    def waiting_position(self):
        if self.status != self.Status.WAITING:
            return None
        return (
            Enrolment.objects.filter(
                period_id=self.period_id,
                status=self.Status.WAITING,
                waiting_since__lt=self.waiting_since,
            ).count()
            + 1
        )


class EnrolmentPriceChange(models.Model):
    """The audit trail of an enrolment's tariff: who changed it, when, why, before/after."""

    class Kind(models.TextChoices):
        QF_ARRIVED = "qf_arrived", _("Quotient familial reçu")
        OVERRIDE = "override", _("Tarif corrigé par un agent")
        BAREME_CORRECTION = "bareme", _("Correction du barème")
        QF_REFRESH = "qf_refresh", _("Mise à jour annuelle du QF")

    enrolment = models.ForeignKey(
        Enrolment,
        on_delete=models.CASCADE,
        related_name="price_changes",
        verbose_name=_("inscription"),
    )
    kind = models.CharField(_("motif"), max_length=12, choices=Kind.choices)
    reason = models.TextField(_("explication"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("modifié par"),
    )
    changed_at = models.DateTimeField(_("modifié le"), default=timezone.now)
    before = models.JSONField(_("avant"))
    after = models.JSONField(_("après"))

    class Meta:
        verbose_name = _("modification de tarif")
        verbose_name_plural = _("modifications de tarif")
        ordering = ["-changed_at", "-pk"]

    def __str__(self):
        return f"{self.enrolment} — {self.get_kind_display()}"


# --- Tariff certificates (attestations de tarif) -------------------------------------
# Services, rendering and views live in family_portal/certificates/.


class CertificateNumberSequence(models.Model):
    """The last certificate number given in a year: numbers are ATT-<year>-<000123>."""

    year = models.PositiveSmallIntegerField(_("année"), primary_key=True)
    last = models.PositiveIntegerField(_("dernier numéro"), default=0)

    class Meta:
        verbose_name = _("compteur d'attestations")
        verbose_name_plural = _("compteurs d'attestations")

    def __str__(self):
        return f"{self.year} : {self.last}"


class Certificate(models.Model):
    """A tariff certificate as issued: its content is frozen and never edited.

    When the price of the enrolment changes, a new certificate (with a new number)
    replaces it; an agent may also revoke it. `content` holds every printed value, so
    the PDF can be rendered again exactly as issued; the PDF itself is kept in `pdf`
    once laid out, and deleted with the row.
    """

    class Status(models.TextChoices):
        CURRENT = "current", _("En vigueur")
        REPLACED = "replaced", _("Remplacée")
        REVOKED = "revoked", _("Annulée")

    number = models.CharField(_("numéro"), max_length=20, unique=True)
    token = models.CharField(_("code de vérification"), max_length=64, editable=False)
    enrolment = models.ForeignKey(
        Enrolment,
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("inscription"),
    )
    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.CURRENT
    )
    snapshot_digest = models.CharField(_("empreinte du tarif"), max_length=64)
    content = models.JSONField(_("contenu"))
    amount = models.DecimalField(_("tarif"), max_digits=9, decimal_places=2)
    unit = models.CharField(_("unité"), max_length=50)
    valid_from = models.DateField(_("valable à partir du"))
    valid_until = models.DateField(_("valable jusqu'au"))
    issued_at = models.DateTimeField(_("délivrée le"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("délivrée par"),
    )
    replaced_by = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replaces",
        verbose_name=_("remplacée par"),
    )
    ended_at = models.DateTimeField(_("remplacée ou annulée le"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("annulée par"),
    )
    revocation_reason = models.TextField(_("motif de l'annulation"), blank=True)
    # The PDF as laid out once, at issue: what the family downloads and agents print.
    pdf = models.FileField(
        _("PDF"),
        upload_to="attestations/%Y/%m/",
        storage=private_storage,
        blank=True,
        editable=False,
    )

    class Meta:
        verbose_name = _("attestation de tarif")
        verbose_name_plural = _("attestations de tarif")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            # Never two certificates in force for one enrolment.
            models.UniqueConstraint(
                fields=["enrolment"],
                condition=Q(status="current"),
                name="one_current_certificate_per_enrolment",
            )
        ]
        permissions = [
            (
                "print_certificate",
                _("Peut délivrer, imprimer et annuler les attestations de tarif"),
            )
        ]

    def __str__(self):
        return self.number


@receiver(post_delete, sender=Certificate, dispatch_uid="certificate-pdf-delete")
def _delete_certificate_pdf(sender, instance, **kwargs):
    # The PDF names the family: it goes with its row, never left behind.
    if instance.pdf:
        instance.pdf.delete(save=False)


class BackgroundJob(models.Model):
    """Work an agent starts and a background task (django-tasks) does: the task writes
    its state and progress on the row as it goes, the agent's page polls them."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminé")
        FAILED = "failed", _("Échec")

    ACTIVE = (Status.PENDING, Status.RUNNING)

    status = models.CharField(
        _("état"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    total = models.PositiveIntegerField(_("à traiter"), default=0)
    done = models.PositiveIntegerField(_("traités"), default=0)
    error = models.TextField(_("erreur"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("demandé par"),
    )
    created_at = models.DateTimeField(_("demandé le"), auto_now_add=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def percent(self):
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status not in self.ACTIVE

    def progress_state(self) -> dict:
        """What the page's poller reads (static/certificates/batch-progress.js)."""
        return {
            "status": self.status,
            "status_label": self.get_status_display(),
            "done": self.done,
            "total": self.total,
            "percent": self.percent,
            "error": self.error,
        }


class CertificateBatch(BackgroundJob):
    """A batch of certificates printed as one PDF by a background task."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    activity = models.ForeignKey(
        "activities.ActivityPage",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("activité"),
    )
    period = models.ForeignKey(
        "activities.ActivityPeriod",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("période"),
    )
    school = models.CharField(_("école"), max_length=150, blank=True)
    total = models.PositiveIntegerField(_("attestations"), default=0)
    done = models.PositiveIntegerField(_("attestations prêtes"), default=0)
    file = models.FileField(
        _("fichier"),
        upload_to="attestations/lots/%Y/%m/",
        storage=private_storage,
        blank=True,
    )

    class Meta:
        verbose_name = _("lot d'attestations")
        verbose_name_plural = _("lots d'attestations")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.activity} — {self.created_at:%d/%m/%Y %H:%M}"


@receiver(post_delete, sender=CertificateBatch, dispatch_uid="certificate-batch-delete")
def _delete_batch_file(sender, instance, **kwargs):
    if instance.file:
        instance.file.delete(save=False)


# --- Back-office of the family service (agents) --------------------------------------
# The service's own rules, the agents' audit trail and the progress of the yearly QF
# refresh campaign. Views, forms and services live in family_portal/backoffice/.


class TaxNoticeRule(models.TextChoices):
    FISCAL_PARTS = (
        "fiscal_parts",
        _("Parts fiscales : revenu fiscal de référence / 12 / nombre de parts"),
    )
    PER_PERSON = (
        "per_person",
        _(
            "Par personne : revenus avant abattement de 10 %, moins les pensions "
            "alimentaires versées, / 12 / personnes du foyer"
        ),
    )


@register_setting(icon="group")
class FamilyServiceSettings(BaseSiteSetting):
    """How the family service records a QF from a document, and how long it keeps them."""

    tax_notice_rule = models.CharField(
        _("calcul du quotient depuis un avis d'imposition"),
        max_length=20,
        choices=TaxNoticeRule.choices,
        default=TaxNoticeRule.FISCAL_PARTS,
        help_text=_(
            "La règle votée par la commune pour les familles sans dossier CAF."
        ),
    )
    attestation_max_age_months = models.PositiveSmallIntegerField(
        _("ancienneté maximale d'une attestation CAF ou MSA (mois)"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
    )
    qf_retention_months = models.PositiveSmallIntegerField(
        _("conservation d'un quotient après sa fin de validité (mois)"),
        default=0,
        validators=[MaxValueValidator(120)],
        help_text=_(
            "0 : le quotient est supprimé dès la fin de sa validité, comme l'annonce "
            "la page des données personnelles. Les inscriptions gardent le QF retenu."
        ),
    )
    document_retention_months = models.PositiveSmallIntegerField(
        _("conservation d'un justificatif refusé (mois)"),
        default=3,
        validators=[MaxValueValidator(120)],
        help_text=_(
            "Un justificatif accepté est supprimé avec le quotient qu'il justifie."
        ),
    )
    batch_retention_days = models.PositiveSmallIntegerField(
        _("conservation d'un lot d'attestations à imprimer (jours)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_(
            "Le fichier du lot est ensuite supprimé ; chaque attestation reste "
            "téléchargeable et peut être réimprimée."
        ),
    )

    panels = [
        FieldPanel("tax_notice_rule"),
        FieldPanel("attestation_max_age_months"),
        MultiFieldPanel(
            [
                FieldPanel("qf_retention_months"),
                FieldPanel("document_retention_months"),
                FieldPanel("batch_retention_days"),
            ],
            heading=_("Durées de conservation"),
        ),
    ]

    class Meta:
        verbose_name = _("règles du service famille")


class AgentAction(models.Model):
    """What an agent did to a family's file: who, when, why, before and after.

    Price changes have their own trail (EnrolmentPriceChange); this one holds the rest.
    """

    class Kind(models.TextChoices):
        DOCUMENT_ACCEPTED = "document_accepted", _("Justificatif accepté")
        DOCUMENT_REJECTED = "document_rejected", _("Justificatif refusé")
        QF_RECORDED = "qf_recorded", _("Quotient familial saisi")
        QF_REFRESHED = "qf_refreshed", _("Quotient familial actualisé (API)")
        PERIOD_REPRICED = "period_repriced", _("Période recalculée")
        ENROLMENT_CANCELLED = "cancelled", _("Inscription annulée")
        ENROLMENT_PROMOTED = "promoted", _("Inscription sortie de la liste d'attente")
        COUNTER_ENROLMENT = "counter", _("Inscription au guichet")
        PRICE_OVERRIDDEN = "price_overridden", _("Tarif corrigé à la main")
        ENROLMENT_REPRICED = "enrolment_repriced", _("Tarif recalculé")
        CAPACITY_CHANGED = "capacity_changed", _("Nombre de places modifié")
        CERTIFICATE_REVOKED = "certificate_revoked", _("Attestation annulée")
        QF_CAMPAIGN_STARTED = "qf_campaign", _("Campagne annuelle du QF lancée")

    kind = models.CharField(_("action"), max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    at = models.DateTimeField(_("le"), default=timezone.now, db_index=True)
    family = models.ForeignKey(
        Family,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agent_actions",
        verbose_name=_("famille"),
    )
    enrolment = models.ForeignKey(
        Enrolment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agent_actions",
        verbose_name=_("inscription"),
    )
    document = models.ForeignKey(
        QfDocument,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agent_actions",
        verbose_name=_("justificatif"),
    )
    reason = models.TextField(_("motif"), blank=True)
    before = models.JSONField(_("avant"), null=True, blank=True)
    after = models.JSONField(_("après"), null=True, blank=True)

    class Meta:
        verbose_name = _("action d'un agent")
        verbose_name_plural = _("actions des agents")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.at:%d/%m/%Y %H:%M}"

    # In French for the inspect screen (labels, amounts "3,50 €"), not raw JSON.
    def get_before_display(self):
        from .backoffice.audit import describe

        return describe(self.before)

    def get_after_display(self):
        from .backoffice.audit import describe

        return describe(self.after)


class QfRefreshOutcome(models.Model):
    """One family in one yearly QF refresh campaign (a QF month): a rerun skips it."""

    class Status(models.TextChoices):
        REFRESHED = "refreshed", _("Quotient mis à jour")
        NOT_FOUND = "not_found", _("Pas de quotient CAF ou MSA")
        NO_IDENTITY = "no_identity", _("État civil de l'allocataire incomplet")
        FAILED = "failed", _("Échec provisoire : à relancer")

    # Statuses a rerun leaves alone: the API answered, or will never be asked.
    FINAL = (Status.REFRESHED, Status.NOT_FOUND, Status.NO_IDENTITY)

    family = models.ForeignKey(
        Family,
        on_delete=models.CASCADE,
        related_name="qf_refreshes",
        verbose_name=_("famille"),
    )
    month = models.DateField(_("mois du QF demandé"))
    status = models.CharField(_("résultat"), max_length=12, choices=Status.choices)
    error_kind = models.CharField(_("erreur"), max_length=20, blank=True)
    quotient = models.ForeignKey(
        QuotientRecord,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("quotient obtenu"),
    )
    repriced = models.PositiveIntegerField(_("inscriptions recalculées"), default=0)
    at = models.DateTimeField(_("traitée le"), default=timezone.now)
    notified_at = models.DateTimeField(_("famille prévenue le"), null=True, blank=True)

    class Meta:
        verbose_name = _("actualisation annuelle du QF")
        verbose_name_plural = _("actualisations annuelles du QF")
        ordering = ["-month", "family"]
        constraints = [
            models.UniqueConstraint(
                fields=["family", "month"], name="one_qf_refresh_per_family_and_month"
            )
        ]

    def __str__(self):
        return f"{self.family} — {self.month:%m/%Y} — {self.get_status_display()}"


class QfCampaign(BackgroundJob):
    """The yearly QF campaign started by an agent: run by a background task, its
    progress and its report (CampaignSummary.as_report) kept on the row."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    month = models.DateField(_("mois du QF demandé"))
    total = models.PositiveIntegerField(_("familles à traiter"), default=0)
    done = models.PositiveIntegerField(_("familles traitées"), default=0)
    report = models.JSONField(_("bilan"), default=dict, blank=True)

    class Meta:
        verbose_name = _("campagne annuelle du QF")
        verbose_name_plural = _("campagnes annuelles du QF")
        ordering = ["-created_at"]
        constraints = [
            # Two runs for one month at once would ask the API twice for a family.
            models.UniqueConstraint(
                fields=["month"],
                condition=Q(status__in=["pending", "running"]),
                name="one_running_qf_campaign_per_month",
            )
        ]

    def __str__(self):
        return f"Campagne du QF de {self.month:%m/%Y}"
