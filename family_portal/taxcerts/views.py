"""The parent's download of a tax certificate (their own family's only: any other is a
404) and the agents' screen: issue a year's certificates, follow it, print them."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from family_portal.backoffice.permissions import require_perms
from family_portal.views import family_required
from home.ids import id_or_404

from . import services, tasks
from .models import TaxCertificate, TaxCertificateJob

VIEW = "taxcerts.view_taxcertificatejob"
ADD = "taxcerts.add_taxcertificatejob"


def _pdf_response(data: bytes, name: str, disposition="inline"):
    response = FileResponse(iter([data]), content_type="application/pdf")
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response["Content-Length"] = str(len(data))
    return response


@family_required
def certificate_pdf(request, pk):
    certificate = get_object_or_404(
        TaxCertificate.objects.filter(
            family=request.family, status=TaxCertificate.Status.CURRENT
        ),
        pk=id_or_404(pk),
    )
    return _pdf_response(services.pdf_of(certificate), services.filename(certificate))


def _year(value) -> int | None:
    try:
        year = int(value)
    except (TypeError, ValueError):
        return None
    return year if 2000 <= year < timezone.localdate().year else None


@never_cache
@require_perms(VIEW)
def index(request):
    last_year = timezone.localdate().year - 1
    if request.method == "POST":
        if not request.user.has_perm(ADD):
            return redirect("taxcerts_admin:index")
        year = _year(request.POST.get("year"))
        if year is None:
            messages.error(
                request,
                f"Indiquez une année passée, par exemple {last_year} : les attestations "
                "portent sur une année de paiements terminée.",
            )
        elif request.POST.get("action") == "print":
            job = tasks.start_print(year, user=request.user)
            messages.success(
                request, f"Préparation du fichier {year} à imprimer lancée."
            )
            return redirect("taxcerts_admin:job", pk=job.pk)
        else:
            job = tasks.start_issue(year, user=request.user)
            messages.success(
                request, f"Émission des attestations fiscales {year} lancée."
            )
            return redirect("taxcerts_admin:job", pk=job.pk)
    years = (
        TaxCertificate.objects.filter(status=TaxCertificate.Status.CURRENT)
        .values_list("year", flat=True)
        .order_by("-year")
        .distinct()
    )
    counts = [
        (
            year,
            TaxCertificate.objects.filter(
                year=year, status=TaxCertificate.Status.CURRENT
            ).count(),
        )
        for year in years
    ]
    return TemplateResponse(
        request,
        "taxcerts/admin/index.html",
        {
            "page_title": "Attestations fiscales (frais de garde)",
            "header_icon": "doc-full",
            "last_year": last_year,
            "counts": counts,
            "jobs": TaxCertificateJob.objects.select_related("requested_by")[:20],
        },
    )


@never_cache
@require_perms(VIEW)
def job_detail(request, pk):
    job = get_object_or_404(TaxCertificateJob, pk=id_or_404(pk))
    return TemplateResponse(
        request,
        "taxcerts/admin/job.html",
        {"page_title": str(job), "header_icon": "doc-full", "job": job},
    )


@never_cache
@require_perms(VIEW)
def job_progress(request, pk):
    job = get_object_or_404(TaxCertificateJob, pk=id_or_404(pk))
    return JsonResponse(job.progress_state())


@never_cache
@require_perms(VIEW)
def job_file(request, pk):
    job = get_object_or_404(
        TaxCertificateJob, pk=id_or_404(pk), kind=TaxCertificateJob.Kind.PRINT
    )
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    if not job.file:
        return redirect("taxcerts_admin:job", pk=job.pk)
    with job.file.open("rb") as stored:
        data = stored.read()
    return _pdf_response(
        data, f"attestations-fiscales-{job.year}.pdf", disposition="attachment"
    )
