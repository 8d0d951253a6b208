"""Documents to check, QF entered by an agent, enrolments waiting for their QF, the
family's QF refresh."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin

from activities.pricing.formatting import format_qf
from qf_connector.errors import QuotientError

from ...models import (
    Enrolment,
    Family,
    FamilyServiceSettings,
    QfDocument,
)
from ...quotients import with_identity_warnings
from .. import documents, refresh
from ..forms import (
    QuotientEntryForm,
    RejectForm,
)
from ..links import family_url
from ..permissions import (
    ADD_QUOTIENT,
    CHECK_DOCUMENT,
    VIEW_DOCUMENT,
    VIEW_ENROLMENT,
    VIEW_FAMILY,
    require_perms,
)
from .common import DOCUMENT_QUEUE, commune_of, render

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
        with_identity_warnings(
            Family.objects.filter(enrolments__status=Enrolment.Status.QF_PENDING)
        )
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
