"""Sick-child certificates waiting for an agent: the queue, the certificate beside the
days it covers, accept (the absence becomes justified for billing) or reject with a
reason (the family is told by e-mail)."""

from __future__ import annotations

import mimetypes

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.cache import never_cache

from family_portal.backoffice.documents import INLINE_TYPES
from family_portal.backoffice.links import family_url

from .. import services
from ..models import AbsenceReport, Booking
from ..permissions import CHECK_CERTIFICATE, staff_required
from .common import render
from .forms import RejectCertificateForm


@never_cache
@staff_required(CHECK_CERTIFICATE)
def certificate_queue(request):
    reports = (
        AbsenceReport.objects.filter(status=AbsenceReport.Status.PENDING)
        .select_related("child__family")
        .order_by("reported_at", "pk")
    )
    return render(
        request,
        "certificate_queue.html",
        "Certificats médicaux à vérifier",
        {"reports": reports},
        icon="doc-full",
    )


@never_cache
@staff_required(CHECK_CERTIFICATE)
def certificate_check(request, pk):
    report = get_object_or_404(
        AbsenceReport.objects.select_related("child__family", "checked_by"), pk=pk
    )
    action = request.POST.get("action") if request.method == "POST" else None
    reject_form = RejectCertificateForm(request.POST if action == "reject" else None)
    try:
        if action == "accept":
            services.accept_certificate(report, request.user)
            messages.success(
                request,
                f"Certificat accepté : l'absence de {report.child.first_name} est "
                "justifiée.",
            )
            return redirect("bookings_backoffice:certificate_queue")
        if action == "reject" and reject_form.is_valid():
            services.reject_certificate(
                report, request.user, reject_form.cleaned_data["reason"]
            )
            messages.success(
                request,
                f"Certificat refusé ; la famille de {report.child.first_name} est "
                "prévenue par courriel.",
            )
            return redirect("bookings_backoffice:certificate_queue")
    except services.BookingError as error:
        messages.error(request, error.message)
        return redirect("bookings_backoffice:certificate_check", report.pk)
    content_type = mimetypes.guess_type(report.certificate.name or "")[0]
    booked = (
        Booking.objects.filter(
            enrolment__child=report.child,
            date__range=(report.first_day, report.last_day),
        )
        .select_related("session__schedule__period__activity")
        .order_by("date", "session__sort_order")
    )
    return render(
        request,
        "certificate_check.html",
        f"Certificat médical de {report.child.first_name} {report.child.last_name}",
        {
            "report": report,
            "family": report.child.family,
            "family_url": family_url(report.child.family),
            "is_image": content_type in {"image/jpeg", "image/png"},
            "booked": booked,
            "reject_form": reject_form,
        },
        icon="doc-full",
        status=400 if reject_form.is_bound and not reject_form.is_valid() else 200,
    )


@never_cache
@staff_required(CHECK_CERTIFICATE)
def certificate_file(request, pk):
    """The certificate itself, for agents only: it is never under MEDIA_URL."""
    report = get_object_or_404(AbsenceReport, pk=pk)
    if not report.certificate:
        raise Http404
    try:
        handle = report.certificate.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    name = report.certificate.name.rsplit("/", 1)[-1]
    content_type = mimetypes.guess_type(name)[0] or ""
    inline = content_type in INLINE_TYPES
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=name,
        content_type=content_type if inline else "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
