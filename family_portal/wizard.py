"""EnrolmentWizard: from an activity page's "S'inscrire" button to a confirmed enrolment.

Each step has its own URL (NamedUrlSessionWizardView), so the browser's back button
shows the previous step with what was typed. The data live in the session, one storage
per activity, until the confirmation.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from formtools.wizard.views import NamedUrlSessionWizardView
from portail_site.security import client_ip
from wagtail import hooks

from activities.models import ActivityPage
from activities.pricing import PricingError
from home.ids import id_or_404
from home.models import CommuneSettings
from qf_connector import limits
from qf_connector.errors import QuotientError
from qf_connector.identity import Identity
from qf_connector.services import lookup_by_france_connect, lookup_by_identity

from . import enrolment, quotients, wizard_files
from .franceconnect import services as franceconnect
from .models import Enrolment, QfDocument
from .uploads import name_for, validate_qf_upload
from .views import family_required
from .wizard_forms import (
    ChildrenPeriodForm,
    ConfirmForm,
    DocumentForm,
    IdentityConsentForm,
    PriceForm,
    QfSourceForm,
    consent_text,
)

# Apps above the core may refuse an online enrolment (a commune's rule, such as unpaid
# invoices): each hook gets (request, family, activity) and returns the page to show
# instead of the wizard, or None. The wizard's stored answers stay as they were.
ENROLMENT_REFUSAL_HOOK = "portail_enrolment_refusal"

STEP_CHILDREN = "enfants"
STEP_SOURCE = "quotient"
STEP_IDENTITY = "caf-msa"
STEP_DOCUMENT = "justificatif"
STEP_PRICE = "tarif"
STEP_CONFIRM = "confirmation"

STEP_TITLES = {
    STEP_CHILDREN: "Enfants et période",
    STEP_SOURCE: "Quotient familial",
    STEP_IDENTITY: "Accord et demande à la CAF ou à la MSA",
    STEP_DOCUMENT: "Justificatif",
    STEP_PRICE: "Tarif",
    STEP_CONFIRM: "Confirmation",
}


def _source(wizard):
    data = wizard.get_cleaned_data_for_step(STEP_SOURCE) or {}
    return data.get("source")


def _fallback(wizard):
    return wizard.storage.extra_data.get("fallback", "")


def needs_identity(wizard):
    return _source(wizard) == QfSourceForm.API


def needs_document(wizard):
    return (
        _source(wizard) == QfSourceForm.DOCUMENT
        or _fallback(wizard) == IdentityConsentForm.FALLBACK_DOCUMENT
    )


@method_decorator(family_required, name="dispatch")
class EnrolmentWizard(NamedUrlSessionWizardView):
    form_list = [
        (STEP_CHILDREN, ChildrenPeriodForm),
        (STEP_SOURCE, QfSourceForm),
        (STEP_IDENTITY, IdentityConsentForm),
        (STEP_DOCUMENT, DocumentForm),
        (STEP_PRICE, PriceForm),
        (STEP_CONFIRM, ConfirmForm),
    ]
    condition_dict = {STEP_IDENTITY: needs_identity, STEP_DOCUMENT: needs_document}
    file_storage = wizard_files.uploads
    storage_name = "family_portal.wizard_files.WizardSessionStorage"
    template_name = "family_portal/wizard/step.html"
    url_name = "family_portal:enrol_step"
    done_step_name = "termine"

    # -- set-up ---------------------------------------------------------------------

    def dispatch(self, request, *args, **kwargs):
        self.activity = get_object_or_404(
            ActivityPage.objects.live().public(),
            pk=id_or_404(kwargs["activity_id"]),
        )
        self.family = request.family
        # for_request: the layout's template reads the same object, not a second one.
        self.commune = CommuneSettings.for_request(request)
        return super().dispatch(request, *args, **kwargs)

    def get_prefix(self, request, *args, **kwargs):
        # One storage per activity: two tabs on two activities never mix their data.
        return f"inscription_{kwargs['activity_id']}"

    def get_step_url(self, step):
        return reverse(
            self.url_name, kwargs={"activity_id": self.activity.pk, "step": step}
        )

    def get_form_kwargs(self, step=None):
        if step == STEP_CHILDREN:
            return {
                "family": self.family,
                "activity": self.activity,
                "today": self.today,
            }
        if step == STEP_SOURCE:
            posting_this_step = (
                self.request.method == "POST" and self.steps.current == STEP_SOURCE
            )
            return {
                "quotient": self.current_quotient,
                "france_connect": franceconnect.signed_in(self.request),
                "lookup": self._lookup_france_connect if posting_this_step else None,
            }
        if step == STEP_IDENTITY:
            # Look up only when the parent submits this very step, never when a stored
            # step is re-validated (rendering it again, or at the confirmation).
            posting_this_step = (
                self.request.method == "POST" and self.steps.current == STEP_IDENTITY
            )
            # The other ways on this page offered (kept when it was shown): a choice it
            # did not offer, like "provisional" past a lookup limit, is refused.
            offer = self.storage.extra_data.get("identity_offer") or {}
            return {
                "family": self.family,
                "lookup": self._lookup if posting_this_step else None,
                "offered": offer.get("fallbacks"),
                "provisional_identity": offer.get("identity", ""),
            }
        if step == STEP_CONFIRM:
            rules = self.commune.rules_page
            return {"rules_url": rules.get_url(self.request) if rules else None}
        return {}

    @property
    def today(self):
        return timezone.localdate()

    @cached_property
    def current_quotient(self):
        # Read once per request: each step's conditions re-validate the QF source form.
        return self.family.current_quotient()

    # -- the API Particulier lookup -----------------------------------------------------

    def _lookup(self, cleaned):
        try:
            identity = Identity.create(
                birth_name=cleaned["birth_name"],
                first_names=cleaned["first_names"].split(),
                sex=cleaned["sex"],
                birth_date=cleaned["birth_date"].isoformat(),
                birth_commune=cleaned.get("birth_commune_code") or None,
                birth_country=cleaned.get("birth_country_code") or None,
            )
            self.tried_identity = limits.digest_of(identity)
            address = client_ip(self.request)
            refusal = quotients.wizard_lookup_refusal(
                self.request.user, identity, address, family_id=self.family.pk
            )
            if refusal is not None:
                return None, refusal
            result = lookup_by_identity(
                identity,
                user=self.request.user,
                family_id=self.family.pk,
                origin=quotients.WIZARD_ORIGIN,
                in_request=True,
                address=address,
            )
        except QuotientError as error:
            return None, error
        return result, None

    def _lookup_france_connect(self):
        """The QF from the parent's FranceConnect session (the access token stays in
        the session: never in the page, a log or the call log). An expired session is
        an error with reason FRANCE_CONNECT_EXPIRED: the page offers to reconnect.
        Asked once per request: the steps' conditions validate this step again."""
        if not hasattr(self, "_france_connect_answer"):
            self._france_connect_answer = self._ask_france_connect()
        return self._france_connect_answer

    def _ask_france_connect(self):
        token = franceconnect.access_token(self.request)
        if token is None:
            return None, quotients.france_connect_expired_error()
        address = client_ip(self.request)
        refusal = quotients.wizard_lookup_refusal(
            self.request.user, None, address, family_id=self.family.pk
        )
        if refusal is not None:
            return None, refusal
        try:
            result = lookup_by_france_connect(
                token,
                user=self.request.user,
                family_id=self.family.pk,
                origin=quotients.WIZARD_ORIGIN,
                in_request=True,
                address=address,
            )
        except QuotientError as error:
            if error.status == 401:
                return None, quotients.france_connect_expired_error()
            return None, error
        return result, None

    # -- steps ----------------------------------------------------------------------

    def process_step(self, form):
        step = self.steps.current
        extra = self.storage.extra_data
        if step == STEP_SOURCE:
            extra.pop("fallback", None)
            if form.result is not None:
                record = enrolment.record_api_quotient(
                    self.family, form.result, user=self.request.user
                )
                extra["quotient_id"] = record.pk
        if step == STEP_IDENTITY:
            extra["fallback"] = form.cleaned_data.get("fallback", "")
            if form.result is not None:
                record = enrolment.record_api_quotient(
                    self.family, form.result, user=self.request.user
                )
                extra["quotient_id"] = record.pk
                self._update_guardian(form.cleaned_data)
            elif extra["fallback"] == IdentityConsentForm.FALLBACK_PROVISIONAL and all(
                form.cleaned_data.get(name)
                for name in (
                    "guardian",
                    "birth_name",
                    "first_names",
                    "sex",
                    "birth_date",
                )
            ):
                # The retry (manage.py retry_quotients) will ask with what was typed.
                self._update_guardian(form.cleaned_data)
        self.storage.extra_data = extra
        return super().process_step(form)

    def _store_document(self, form) -> QfDocument:
        """The file of the document step, kept by the wizard until now, becomes the
        family's QF document (an abandoned wizard leaves none)."""
        upload = form.cleaned_data["file"]
        upload.seek(0)
        content = ContentFile(
            upload.read(), name=name_for(upload.name, form.content_type)
        )
        return QfDocument.objects.create(
            family=self.family,
            kind=form.cleaned_data["kind"],
            file=content,
            original_name=upload.name[:255],
            content_type=form.content_type,
            uploaded_by=self.request.user,
        )

    def _update_guardian(self, cleaned):
        """The identity that CAF/MSA recognised becomes the guardian's civil status
        (not a civil status FranceConnect certified: that one stays)."""
        guardian = cleaned["guardian"]
        if guardian.is_certified:
            guardian.is_allocataire = True
            guardian.save(update_fields=["is_allocataire"])
            return
        names = cleaned["first_names"].split()
        guardian.birth_name = cleaned["birth_name"]
        guardian.first_name = names[0]
        guardian.second_first_name = names[1] if len(names) > 1 else ""
        guardian.third_first_name = names[2] if len(names) > 2 else ""
        guardian.sex = cleaned["sex"]
        guardian.birth_date = cleaned["birth_date"]
        guardian.birth_commune_code = cleaned.get("birth_commune_code") or ""
        guardian.birth_country_code = cleaned.get("birth_country_code") or ""
        guardian.born_abroad = bool(guardian.birth_country_code) and not (
            guardian.birth_commune_code
        )
        guardian.is_allocataire = True
        guardian.save()

    def qf_choice(self) -> enrolment.QfChoice:
        source = _source(self)
        fallback = _fallback(self)
        extra = self.storage.extra_data
        if source == QfSourceForm.REUSE:
            return enrolment.QfChoice(Enrolment.QfSource.RECORD, self.current_quotient)
        if source == QfSourceForm.FRANCE_CONNECT or (
            source == QfSourceForm.API and not fallback
        ):
            quotient = self.family.quotients.filter(pk=extra.get("quotient_id")).first()
            return enrolment.QfChoice(Enrolment.QfSource.API, quotient)
        if needs_document(self):
            return enrolment.QfChoice(Enrolment.QfSource.DOCUMENT)
        if fallback == IdentityConsentForm.FALLBACK_PROVISIONAL:
            return enrolment.QfChoice(Enrolment.QfSource.UNAVAILABLE)
        return enrolment.QfChoice(Enrolment.QfSource.NONE)

    def selection(self):
        # Validated once per request: the GET of a price step checks it, then shows it.
        if not hasattr(self, "_selection"):
            data = self.get_cleaned_data_for_step(STEP_CHILDREN) or {}
            self._selection = (data.get("children") or [], data.get("period"))
        return self._selection

    def refusal(self):
        for refuse in hooks.get_hooks(ENROLMENT_REFUSAL_HOOK):
            response = refuse(self.request, self.family, self.activity)
            if response is not None:
                return response
        return None

    def post(self, request, *args, **kwargs):
        # The step the page was showing: another tab, the back button or an old page
        # may post a step the parent's later choices took out of the wizard (or no
        # step at all); it is kept as typed, and the parent is taken to the step
        # they are at.
        posted = request.POST.get(f"{self.prefix}-current_step", "")
        refused = self.refusal()
        if refused is not None:
            if posted in self.form_list:  # kept as typed, for when it is allowed again
                self.storage.set_step_data(posted, dict(request.POST.lists()))
            return refused
        goto = request.POST.get("wizard_goto_step", "")
        active = self.get_form_list()
        if posted not in active or (goto and goto not in active):
            return self._lost_step(posted)
        # The posted step is the current one: a previous step pressed in an older tab
        # keeps its own data, not another step's.
        self.storage.current_step = posted
        return super().post(request, *args, **kwargs)

    def _lost_step(self, posted):
        if self.request.method == "POST" and posted in self.form_list:
            data = self.request.POST.copy()
            self.storage.set_step_data(posted, dict(data.lists()))
        # No step is being submitted: re-validating the stored steps below must not
        # look the identity up again (get_form_kwargs reads the current step).
        self.storage.current_step = None
        step = self._resume_step()
        self.storage.current_step = step
        messages.warning(
            self.request,
            "Cette page n'était plus à jour (un autre onglet, ou un retour en arrière "
            "après avoir changé de choix). Ce que vous aviez saisi est gardé ; "
            f"reprenez à l'étape « {STEP_TITLES[step]} ».",
        )
        return redirect(self.get_step_url(step))

    def _resume_step(self):
        """The first step whose stored answers are missing or no longer valid."""
        steps = list(self.get_form_list())
        for step in steps:
            if self.get_cleaned_data_for_step(step) is None:
                return step
        return steps[-1]

    def get(self, request, *args, **kwargs):
        # The price or the confirmation opened directly (a bookmark, a typed address,
        # an expired session) has no children and period to price: start again.
        refused = self.refusal()
        if refused is not None:
            return refused
        step = kwargs.get("step")
        if step and step != self.done_step_name and step not in self.get_form_list():
            return self._lost_step(step)
        if (
            kwargs.get("step") in {STEP_PRICE, STEP_CONFIRM}
            and self.selection()[1] is None
        ):
            return redirect(self.get_step_url(STEP_CHILDREN))
        return super().get(request, *args, **kwargs)

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        step = self.steps.current
        visible = list(self.get_form_list())
        context.update(
            activity=self.activity,
            family=self.family,
            step_title=STEP_TITLES[step],
            step_number=visible.index(step) + 1,
            step_count=len(visible),
            step_titles=[(name, STEP_TITLES[name]) for name in visible],
        )
        if step == STEP_SOURCE:
            error = getattr(form, "error", None)
            context["france_connect_expired"] = (
                error is not None and error.reason == quotients.FRANCE_CONNECT_EXPIRED
            )
        if step == STEP_IDENTITY:
            context["consent_text"] = consent_text(self.commune.name or "La commune")
            error = getattr(form, "error", None)
            context["lookup_error"] = error
            limited = error is not None and error.reason in quotients.LIMIT_REASONS
            context["offer_retry"] = error is not None and not limited
            # Not past a lookup limit: the retry would look up all the same.
            context["offer_provisional"] = (
                error is not None
                and error.kind in {"unavailable", "rate_limited", "configuration"}
                and not limited
            )
            if self.request.method == "POST":
                # What this answer offers; a later GET of the page (the back button)
                # leaves the choice already made valid at the confirmation.
                self._keep_identity_offer(context["offer_provisional"])
        if step in {STEP_PRICE, STEP_CONFIRM}:
            children, period = self.selection()
            choice = self.qf_choice()
            context.update(period=period, qf=choice)
            try:
                _, planned = enrolment.plan(
                    self.family, self.commune, period, children, choice
                )
                context["planned"] = planned
                context["places_left"] = enrolment.places_left(period)
            except PricingError as error:
                context["pricing_error"] = str(error)
        return context

    def _keep_identity_offer(self, provisional: bool) -> None:
        """What the identity page offers besides "Continuer", kept server side: the
        provisional tariff only after a lookup of this very identity could not be
        answered (the service down), never past a limit."""
        fallbacks = [
            IdentityConsentForm.FALLBACK_DOCUMENT,
            IdentityConsentForm.FALLBACK_NONE,
        ]
        identity = ""
        if provisional:
            fallbacks.append(IdentityConsentForm.FALLBACK_PROVISIONAL)
            identity = getattr(self, "tried_identity", "")
        extra = self.storage.extra_data
        extra["identity_offer"] = {"fallbacks": fallbacks, "identity": identity}
        self.storage.extra_data = extra

    def render_goto_step(self, goto_step, **kwargs):
        # "Précédent" keeps what was typed on the current step.
        # A file is checked as "Continuer" checks it (size, content), whatever the
        # button: one refused is not stored, and the parent is told why.
        form = self.get_form(data=self.request.POST, files=self.request.FILES)
        self.storage.set_step_data(self.steps.current, self.get_form_step_data(form))
        files = {}
        for name, upload in self.request.FILES.items():
            try:
                validate_qf_upload(upload)
            except ValidationError as error:
                messages.error(
                    self.request,
                    f"Le fichier « {upload.name[:80]} » n'a pas été gardé : "
                    + " ".join(error.messages),
                )
            else:
                files[name] = upload
        self.storage.set_step_files(
            self.steps.current, self._replacing_stored_files(files)
        )
        return super().render_goto_step(goto_step, **kwargs)

    def process_step_files(self, form):
        return self._replacing_stored_files(super().process_step_files(form))

    def _replacing_stored_files(self, files):
        """The files about to be stored for the current step: those they replace are
        deleted now, so a wizard keeps one pending file at most (each resend left
        an orphan in private storage)."""
        if files:
            stored = self.storage.data[self.storage.step_files_key]
            for field in stored.get(self.steps.current, {}).values():
                self.file_storage.delete(field["tmp_name"])
            stored.pop(self.steps.current, None)
        return files

    def done(self, form_list, form_dict=None, **kwargs):
        children, period = self.selection()
        choice = self.qf_choice()
        enrolments = enrolment.confirm(
            self.family, self.commune, period, children, choice, user=self.request.user
        )
        if needs_document(self):
            self._store_document(form_dict[STEP_DOCUMENT])
        # formtools' reset then deletes the wizard's own copies as the response ends.
        self._send_confirmation(enrolments)
        messages.success(self.request, "Votre demande d'inscription est enregistrée.")
        return redirect(
            reverse("family_portal:enrolment_result")
            + "?"
            + "&".join(f"i={enrolment.reference}" for enrolment in enrolments)
        )

    def _send_confirmation(self, enrolments):
        recipients = {self.request.user.email} - {""}
        if not recipients:
            return
        context = {
            "enrolments": enrolments,
            "activity": self.activity,
            "commune": self.commune,
        }
        send_mail(
            subject=f"Inscription : {self.activity.title}",
            message=render_to_string(
                "family_portal/email/enrolment_confirmation.txt", context
            ),
            from_email=None,
            recipient_list=sorted(recipients),
        )
