"""The back-office's own admin views: work queues and audited actions. Each view checks
its model permissions (permissions.require_perms) on top of Wagtail's admin access."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin

from activities.models import ActivityPeriod, BaremeVersion
from activities.pricing import PricingError
from activities.pricing.formatting import format_money, format_qf
from home.models import CommuneSettings
from qf_connector.errors import QuotientError

from ..models import (
    Enrolment,
    Family,
    FamilyServiceSettings,
    QfDocument,
)
from . import counter, dashboard, documents, places, pricing, refresh
from .forms import (
    CapacityForm,
    CounterForm,
    OverrideForm,
    QuotientEntryForm,
    ReasonForm,
    RejectForm,
    RepriceForm,
)
from .links import certificate_batch_url, enrolment_url, family_url
from .permissions import (
    ADD_ENROLMENT,
    ADD_QUOTIENT,
    CHANGE_ENROLMENT,
    CHECK_DOCUMENT,
    VIEW_DOCUMENT,
    VIEW_ENROLMENT,
    VIEW_FAMILY,
    require_perms,
)

DOCUMENT_QUEUE = "family_portal_qfdocument_modeladmin_index"


def render(request, template, title, context=None, *, icon="group", subtitle=""):
    return TemplateResponse(
        request,
        f"backoffice/{template}",
        {
            "page_title": title,
            "page_subtitle": subtitle,
            "header_icon": icon,
            **(context or {}),
        },
    )


def commune_of(request):
    return CommuneSettings.for_request(request)


# -- documents to check ------------------------------------------------------------------


@never_cache
@xframe_options_sameorigin
@require_perms(VIEW_DOCUMENT)
def document_file(request, pk):
    """The document's file, for agents only: QF documents are never under MEDIA_URL."""
    return documents.document_response(get_object_or_404(QfDocument, pk=pk))


@never_cache
@require_perms(CHECK_DOCUMENT, ADD_QUOTIENT)
def document_check(request, pk):
    document = get_object_or_404(
        QfDocument.objects.select_related("family", "checked_by"), pk=pk
    )
    family = document.family
    rules = FamilyServiceSettings.for_request(request)
    action = request.POST.get("action") if request.method == "POST" else None
    accept_form = QuotientEntryForm(
        request.POST if action == "accept" else None, rules=rules, document=document
    )
    reject_form = RejectForm(request.POST if action == "reject" else None)
    if document.status == QfDocument.Status.PENDING:
        try:
            if action == "accept" and accept_form.is_valid():
                record, changes = documents.accept_document(
                    document,
                    commune_of(request),
                    accept_form.entry(),
                    user=request.user,
                )
                messages.success(
                    request,
                    f"Justificatif accepté : quotient de {format_qf(record.value)} enregistré, "
                    f"{len(changes)} inscription(s) au tarif définitif. La famille est "
                    "prévenue par courriel.",
                )
                return redirect(DOCUMENT_QUEUE)
            if action == "reject" and reject_form.is_valid():
                documents.reject_document(
                    document,
                    commune_of(request),
                    reason=reject_form.cleaned_data["reason"],
                    user=request.user,
                )
                messages.success(
                    request,
                    "Justificatif refusé : la famille est prévenue par courriel.",
                )
                return redirect(DOCUMENT_QUEUE)
        except documents.AlreadyChecked:
            messages.warning(
                request, "Un autre agent vient de vérifier ce justificatif."
            )
            return redirect("family_backoffice:document_check", pk=document.pk)
    return render(
        request,
        "document_check.html",
        "Vérifier un justificatif",
        {
            "document": document,
            "family": family,
            "family_url": family_url(family),
            "guardians": list(family.guardians.all()),
            "children": list(family.children.all()),
            "quotient": family.current_quotient(),
            "pending": list(
                family.enrolments.filter(
                    status=Enrolment.Status.QF_PENDING
                ).select_related("child", "period__activity")
            ),
            "accept_form": accept_form,
            "reject_form": reject_form,
            "rules": rules,
            "is_image": document.content_type.startswith("image/"),
        },
        icon="doc-full",
        subtitle=str(family),
    )


@never_cache
@require_perms(ADD_QUOTIENT, VIEW_FAMILY)
def quotient_add(request, family_pk):
    """An agent records a QF by hand (document seen at the desk, for instance)."""
    family = get_object_or_404(Family, pk=family_pk)
    rules = FamilyServiceSettings.for_request(request)
    form = QuotientEntryForm(
        request.POST if request.method == "POST" else None, rules=rules
    )
    if request.method == "POST" and form.is_valid():
        record, changes = documents.record_quotient(
            family, commune_of(request), form.entry(), user=request.user
        )
        messages.success(
            request,
            f"Quotient de {format_qf(record.value)} enregistré ; {len(changes)} inscription(s) "
            "au tarif définitif.",
        )
        return redirect(family_url(family))
    return render(
        request,
        "quotient_add.html",
        "Saisir un quotient familial",
        {"form": form, "family": family, "family_url": family_url(family)},
        icon="form",
        subtitle=str(family),
    )


# -- enrolments whose QF is to be checked -------------------------------------------------


@never_cache
@require_perms(VIEW_ENROLMENT)
def qf_pending_queue(request):
    pending = Enrolment.objects.filter(status=Enrolment.Status.QF_PENDING)
    families = (
        Family.objects.filter(enrolments__status=Enrolment.Status.QF_PENDING)
        .distinct()
        .prefetch_related(
            Prefetch(
                "enrolments",
                queryset=pending.select_related("child", "period__activity").order_by(
                    "created_at"
                ),
                to_attr="pending_enrolments",
            ),
            Prefetch(
                "documents",
                queryset=QfDocument.objects.filter(status=QfDocument.Status.PENDING),
                to_attr="pending_documents",
            ),
        )
        .order_by("name", "pk")
    )
    return render(
        request,
        "qf_pending.html",
        "Inscriptions : QF à vérifier",
        {"families": families, "count": pending.count()},
        icon="warning",
    )


@never_cache
@require_perms(ADD_QUOTIENT, VIEW_FAMILY)
def family_refresh(request, pk):
    """Ask API Particulier for the family's QF now, bypassing its 24-hour cache."""
    family = get_object_or_404(Family.objects.prefetch_related("guardians"), pk=pk)
    if request.method == "POST":
        try:
            record, changes = refresh.refresh_family(
                family, commune_of(request), user=request.user
            )
        except refresh.MissingIdentity:
            messages.error(
                request,
                "L'état civil de l'allocataire est incomplet : complétez le responsable "
                "légal (nom de naissance, prénoms, date et lieu de naissance).",
            )
        except QuotientError as error:
            messages.error(request, f"API Particulier : {error.message}")
        else:
            messages.success(
                request,
                f"Quotient familial actualisé : {record}. {len(changes)} inscription(s) "
                "au tarif définitif.",
            )
        back = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            back = family_url(family)  # never to another site
        return redirect(back)
    return render(
        request,
        "family_refresh.html",
        "Actualiser le quotient familial",
        {
            "family": family,
            "family_url": family_url(family),
            "quotient": family.current_quotient(),
        },
        icon="resubmit",
        subtitle=str(family),
    )


# -- periods, waiting lists and re-pricing ------------------------------------------------


@never_cache
@require_perms(VIEW_ENROLMENT)
def period_list(request):
    return render(
        request,
        "period_list.html",
        "Périodes et listes d'attente",
        {"loads": dashboard.period_loads(timezone.localdate())},
        icon="date",
    )


@never_cache
@require_perms(VIEW_ENROLMENT)
def period_detail(request, pk):
    period = get_object_or_404(ActivityPeriod.objects.select_related("activity"), pk=pk)
    if request.method == "POST":
        if not request.user.has_perm(CHANGE_ENROLMENT):
            return redirect("wagtailadmin_home")
        promoted = places.fill_free_places(period, user=request.user)
        if promoted:
            messages.success(
                request,
                f"{len(promoted)} enfant(s) inscrit(s) depuis la liste d'attente ; les "
                "familles sont prévenues par courriel.",
            )
        else:
            messages.info(request, "Aucune place libre, ou personne en attente.")
        return redirect("family_backoffice:period_detail", pk=period.pk)
    load = dashboard.period_load(period)
    return render(
        request,
        "period_detail.html",
        f"{period.activity.title} — {period.label}",
        {
            "period": period,
            "load": load,
            "waiting": list(places.waiting_list(period)),
            "certificates_url": certificate_batch_url(period),
            "enrolments_url": reverse("family_portal_enrolment_modeladmin_index")
            + f"?period__id__exact={period.pk}",
        },
        icon="date",
    )


@never_cache
@require_perms(CHANGE_ENROLMENT)
def period_capacity(request, pk):
    """An agent changes the period's number of places, with a reason (audited)."""
    period = get_object_or_404(ActivityPeriod.objects.select_related("activity"), pk=pk)
    back_url = reverse("family_backoffice:period_detail", args=[period.pk])
    form = CapacityForm(_posted(request), initial={"capacity": period.capacity})
    if request.method == "POST" and form.is_valid():
        try:
            before = places.change_capacity(
                period,
                form.cleaned_data["capacity"],
                reason=form.cleaned_data["reason"],
                user=request.user,
            )
        except places.PlaceRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"Nombre de places : {before} → {form.cleaned_data['capacity']}.",
            )
            return redirect(back_url)
    return render(
        request,
        "period_capacity.html",
        "Modifier le nombre de places",
        {"form": form, "period": period, "back_url": back_url},
        icon="date",
        subtitle=f"{period.activity.title} — {period.label}",
    )


@never_cache
@require_perms(CHANGE_ENROLMENT)
def period_reprice(request, pk):
    """Re-price a period with a corrected barème: a preview first, then apply."""
    period = get_object_or_404(ActivityPeriod.objects.select_related("activity"), pk=pk)
    versions = pricing.period_versions(period)
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = RepriceForm(data, versions=versions)
    lines, stamp = None, ""
    if data is not None and form.is_valid():
        version = form.cleaned_data["version"]
        commune = commune_of(request)
        if request.method == "POST":
            changes = pricing.apply_to_period(
                period,
                commune,
                version,
                reason=form.cleaned_data["reason"]
                or f"Correction du barème : {version}.",
                user=request.user,
                expected=form.cleaned_data["fingerprint"],
            )
            if changes is not None:
                messages.success(
                    request,
                    f"{len(changes)} inscription(s) recalculée(s) avec {version}.",
                )
                return redirect("family_backoffice:period_detail", pk=period.pk)
            messages.warning(
                request,
                "Les inscriptions ont changé depuis l'aperçu : vérifiez ce nouvel "
                "aperçu avant d'appliquer.",
            )
        lines = pricing.preview(pricing.period_enrolments(period), commune, version)
        stamp = pricing.fingerprint(lines)
    return render(
        request,
        "reprice.html",
        "Recalculer les tarifs",
        {
            "form": form,
            "lines": lines,
            "changed": [line for line in lines or [] if line.changed],
            "fingerprint": stamp,
            "back_url": reverse("family_backoffice:period_detail", args=[period.pk]),
        },
        icon="calculator",
        subtitle=f"{period.activity.title} — {period.label}",
    )


# -- one enrolment -------------------------------------------------------------------------


def _enrolment(pk):
    return get_object_or_404(
        Enrolment.objects.select_related(
            "family", "child", "period__activity", "quotient", "bareme_version__bareme"
        ),
        pk=pk,
    )


@never_cache
@require_perms(CHANGE_ENROLMENT)
def enrolment_reprice(request, pk):
    item = _enrolment(pk)
    versions = (
        BaremeVersion.objects.filter(bareme=item.bareme_version.bareme_id)
        .select_related("bareme")
        .order_by("-number")
    )
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = RepriceForm(data, versions=versions, initial={"version": versions.first()})
    lines, stamp = None, ""
    if data is not None and form.is_valid():
        version = form.cleaned_data["version"]
        commune = commune_of(request)
        lines = pricing.preview([item], commune, version)
        stamp = pricing.fingerprint(lines)
        if request.method == "POST":
            if stamp == form.cleaned_data["fingerprint"]:
                changes = pricing.apply(
                    lines,
                    commune,
                    version,
                    reason=form.cleaned_data["reason"]
                    or f"Correction du barème : {version}.",
                    user=request.user,
                    audit_each=True,
                )
                messages.success(
                    request,
                    "Tarif recalculé." if changes else "Le tarif ne change pas.",
                )
                return redirect(enrolment_url(item))
            messages.warning(
                request, "Le tarif a changé depuis l'aperçu : vérifiez-le."
            )
    return render(
        request,
        "reprice.html",
        "Recalculer le tarif",
        {
            "form": form,
            "lines": lines,
            "changed": [line for line in lines or [] if line.changed],
            "fingerprint": stamp,
            "back_url": enrolment_url(item),
        },
        icon="calculator",
        subtitle=str(item),
    )


def _enrolment_action(
    request, item, form, act, *, title, submit, icon, back_url, danger=False
):
    """One action on an enrolment, with its form: on a valid POST, `act(cleaned_data)`
    calls the service and returns (success message, where to go); a refusal of the
    service (PriceChangeRefused, PlaceRefused) is shown on the form, in French."""
    if request.method == "POST" and form.is_valid():
        try:
            message, target = act(form.cleaned_data)
        except (pricing.PriceChangeRefused, places.PlaceRefused) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, message)
            return redirect(target)
    return render(
        request,
        "action_form.html",
        title,
        {
            "form": form,
            "enrolment": item,
            "submit": submit,
            "danger": danger,
            "back_url": back_url,
        },
        icon=icon,
        subtitle=str(item),
    )


def _posted(request):
    return request.POST if request.method == "POST" else None


@never_cache
@require_perms(CHANGE_ENROLMENT)
def enrolment_override(request, pk):
    item = _enrolment(pk)

    def act(cleaned):
        pricing.override_price(
            item, amount=cleaned["amount"], reason=cleaned["reason"], user=request.user
        )
        return f"Tarif fixé à {format_money(cleaned['amount'])}.", enrolment_url(item)

    return _enrolment_action(
        request,
        item,
        OverrideForm(_posted(request)),
        act,
        title="Corriger le tarif",
        submit="Enregistrer le tarif",
        icon="edit",
        back_url=enrolment_url(item),
    )


@never_cache
@require_perms(CHANGE_ENROLMENT)
def enrolment_cancel(request, pk):
    item = _enrolment(pk)

    def act(cleaned):
        promoted = places.cancel(item, reason=cleaned["reason"], user=request.user)
        text = "Inscription annulée."
        if promoted:
            names = ", ".join(str(entry.child) for entry in promoted)
            text += f" Place attribuée à {names} (liste d'attente), famille prévenue."
        return text, enrolment_url(item)

    return _enrolment_action(
        request,
        item,
        ReasonForm(
            _posted(request),
            label="Motif de l'annulation",
            help_text="Envoyé à la famille par courriel.",
        ),
        act,
        title="Annuler l'inscription",
        submit="Annuler l'inscription",
        icon="cross",
        back_url=enrolment_url(item),
        danger=True,
    )


@never_cache
@require_perms(CHANGE_ENROLMENT)
def enrolment_promote(request, pk):
    item = _enrolment(pk)
    period_url = reverse("family_backoffice:period_detail", args=[item.period_id])

    def act(cleaned):
        places.promote(item, reason=cleaned["reason"], user=request.user)
        return f"{item.child} est inscrit(e) ; la famille est prévenue.", period_url

    return _enrolment_action(
        request,
        item,
        ReasonForm(
            _posted(request),
            label="Motif",
            help_text="Obligatoire si d'autres enfants attendent avant celui-ci.",
            required=False,
        ),
        act,
        title="Inscrire depuis la liste d'attente",
        submit="Inscrire",
        icon="tick",
        back_url=period_url,
    )


# -- counter mode ---------------------------------------------------------------------------


@never_cache
@require_perms(ADD_ENROLMENT, VIEW_FAMILY)
def counter_search(request):
    query = request.GET.get("q", "").strip()
    families = []
    if query:
        families = (
            Family.objects.filter(
                Q(name__icontains=query)
                | Q(guardians__birth_name__icontains=query)
                | Q(guardians__usage_name__icontains=query)
                | Q(children__first_name__icontains=query)
                | Q(children__last_name__icontains=query)
            )
            .distinct()
            .prefetch_related("children", "guardians")
            .order_by("name", "pk")[:30]
        )
    return render(
        request,
        "counter_search.html",
        "Inscription au guichet",
        {"query": query, "families": families},
        icon="user",
    )


@never_cache
@require_perms(ADD_ENROLMENT, VIEW_FAMILY)
def counter_enrol(request, family_pk):
    family = get_object_or_404(Family, pk=family_pk)
    commune = commune_of(request)
    periods = (
        ActivityPeriod.objects.filter(end__gte=timezone.localdate())
        .select_related("activity")
        .order_by("activity__title", "start")
    )
    form = CounterForm(
        request.POST if request.method == "POST" else None,
        family=family,
        periods=periods,
    )
    planned, problem, places_left = None, "", None
    if request.method == "POST" and form.is_valid():
        period = form.cleaned_data["period"]
        children = list(form.cleaned_data["children"])
        qf = counter.qf_choice(family, form.cleaned_data["qf_source"])
        try:
            if "confirm" not in request.POST:
                planned, places_left = counter.preview(
                    family, commune, period, children, qf
                )
            else:
                new, already = counter.enrol_at_counter(
                    family, commune, period, children, qf, user=request.user
                )
                for item in new:
                    messages.success(
                        request,
                        f"{item.child} : {item.get_status_display()}, "
                        f"{format_money(item.amount)} par {item.unit}.",
                    )
                for item in already:
                    messages.info(request, f"{item.child} était déjà inscrit(e).")
                return redirect(family_url(family))
        except PricingError as error:
            problem = str(error)
    return render(
        request,
        "counter.html",
        "Inscription au guichet",
        {
            "form": form,
            "family": family,
            "family_url": family_url(family),
            "planned": planned,
            "problem": problem,
            "places_left": places_left,
        },
        icon="user",
        subtitle=str(family),
    )
