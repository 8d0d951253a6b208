"""Certificate views: a parent's download, the public verification page, and the
agents' pages (one certificate, revocation, batches printed by a background task)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from family_portal.models import Certificate, CertificateBatch
from family_portal.views import family_required

from . import services, tasks
from .forms import BatchForm
from .verification import verify

AGENT_PERMISSION = "family_portal.print_certificate"


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Robots-Tag"] = "noindex"
    return response


# --- Parents ---------------------------------------------------------------------------


@family_required
def parent_download(request, reference):
    """The certificate of one of the family's enrolments; another family's is a 404."""
    enrolment = get_object_or_404(
        services.enrolments_for_certificates().filter(family=request.family),
        reference=reference,
    )
    try:
        certificate = services.current_certificate(enrolment, user=request.user)
    except services.NotEligible as problem:
        messages.error(request, str(problem))
        return redirect("family_portal:dashboard")
    return pdf_response(
        services.certificate_pdf(certificate), services.filename(certificate)
    )


# --- Anyone holding a certificate -------------------------------------------------------


@never_cache
def verify_view(request, number, token):
    """Authentic and current, replaced or revoked; unknown numbers and wrong tokens get
    the same 404 page. Shows nothing about the family."""
    result = verify(number, token)
    response = render(
        request,
        "certificates/verify.html",
        {"result": result},
        status=404 if result.state == "unknown" else 200,
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"  # the token stays out of other logs
    return response


# --- Agents --------------------------------------------------------------------------------


def agent_required(view):
    """Signed in (through the admin's sign-in page) with the certificates permission."""

    @wraps(view)
    @never_cache
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(
                request.get_full_path(), reverse("wagtailadmin_login")
            )
        if not request.user.has_perm(AGENT_PERMISSION):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@agent_required
def agent_certificate(request, enrolment_id):
    """One enrolment's certificate in force, issued now if needed."""
    enrolment = get_object_or_404(
        services.enrolments_for_certificates(), pk=enrolment_id
    )
    try:
        certificate = services.current_certificate(enrolment, user=request.user)
    except services.NotEligible as problem:
        return render(
            request,
            "certificates/agent_message.html",
            {"title": "Attestation impossible", "message": str(problem)},
            status=409,
        )
    return pdf_response(
        services.certificate_pdf(certificate), services.filename(certificate)
    )


@agent_required
@require_http_methods(["GET", "POST"])
def agent_revoke(request, number):
    certificate = get_object_or_404(
        Certificate.objects.select_related("enrolment__period__activity"),
        number=number,
    )
    error = ""
    if request.method == "POST":
        reason = request.POST.get("reason", "").strip()
        if certificate.status != Certificate.Status.CURRENT:
            error = "Cette attestation n'est plus en vigueur : elle ne peut pas être annulée."
        elif not reason:
            error = "Indiquez le motif de l'annulation."
        else:
            with transaction.atomic():
                services.revoke(certificate, user=request.user, reason=reason)
                services.audit_revocation(certificate, request.user, reason)
            messages.success(
                request, f"L'attestation {certificate.number} est annulée."
            )
            return redirect("certificates:batch_new")
    return render(
        request,
        "certificates/agent_revoke.html",
        {"certificate": certificate, "error": error},
        status=400 if error else 200,
    )


def _batch_initial(query) -> dict:
    """The activity and period a link preselects (?activity=…&period=…)."""
    return {
        name: query[name]
        for name in ("activity", "period")
        if query.get(name, "").isdigit()
    }


@agent_required
@require_http_methods(["GET", "POST"])
def batch_new(request):
    form = BatchForm(request.POST or None, initial=_batch_initial(request.GET))
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            batch = CertificateBatch.objects.create(
                activity=form.cleaned_data["activity"],
                period=form.cleaned_data["period"],
                school=form.cleaned_data["school"].strip(),
                requested_by=request.user,
            )
            tasks.start_batch(batch)
        return redirect("certificates:batch_detail", pk=batch.pk)
    batches = CertificateBatch.objects.select_related("activity", "period").filter(
        requested_by=request.user
    )[:10]
    return render(
        request, "certificates/agent_batch_new.html", {"form": form, "batches": batches}
    )


def _batch(request, pk):
    return get_object_or_404(
        CertificateBatch.objects.select_related("activity", "period"), pk=pk
    )


@agent_required
def batch_detail(request, pk):
    return render(
        request, "certificates/agent_batch_detail.html", {"batch": _batch(request, pk)}
    )


@agent_required
def batch_status(request, pk):
    batch = _batch(request, pk)
    return JsonResponse(
        {
            **batch.progress_state(),
            "file_url": reverse("certificates:batch_file", args=[batch.pk])
            if batch.status == CertificateBatch.Status.DONE
            else None,
        }
    )


@agent_required
def batch_file(request, pk):
    batch = _batch(request, pk)
    if batch.status != CertificateBatch.Status.DONE or not batch.file:
        raise Http404("Ce lot n'est pas prêt.")
    return FileResponse(
        batch.file.open("rb"),
        as_attachment=True,
        filename=f"attestations-{batch.activity.slug}-{batch.created_at:%Y%m%d-%H%M}.pdf",
        content_type="application/pdf",
    )
