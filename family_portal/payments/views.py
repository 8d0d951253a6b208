"""The parent's side of online payment, and PayFiP's notification endpoint."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from family_portal.billing.models import Invoice
from family_portal.views import family_required

from .models import OperationStatus, PaymentOperation
from .notifications import note
from .payfip import PayFiPError, payment_url
from .services import PaymentRefused, check_operation, start_online_payment
from .tasks import queue_check

LOGGER = logging.getLogger("family_portal.payments")


@family_required
def pay_online(request, pk):
    invoice = get_object_or_404(
        Invoice.objects.filter(family=request.family, kind=Invoice.Kind.INVOICE), pk=pk
    )
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        operation = start_online_payment(
            invoice,
            user=request.user,
            email=request.user.email,
            notify_url=request.build_absolute_uri(
                reverse("family_portal:payments:notification")
            ),
            return_url=request.build_absolute_uri(
                reverse("family_portal:payments:return")
            ),
        )
    except PaymentRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("family_portal:billing:detail", invoice.pk)
    return redirect(payment_url(operation.idop))


@family_required
def payment_return(request):
    """Where the browser comes back: says what PayFiP says, never what the URL says."""
    operation = get_object_or_404(
        PaymentOperation.objects.select_related("invoice"),
        idop=request.GET.get("idop", ""),
        invoice__family=request.family,
    )
    try:
        operation = check_operation(operation.idop)
    except PayFiPError:
        LOGGER.warning("PayFiP unreachable on return for %s", operation.idop)
    return render(request, "payments/return.html", {"operation": operation})


@csrf_exempt
def notification(request):
    """PayFiP's POST holding only ``idOp``: a hint to go and ask, nothing more.

    The operation is noted (one UPDATE) and a check queued (notifications.py,
    tasks.py): the request never waits on PayFiP, so a burst of notifications leaves
    the workers to the pages.
    """
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    idop = request.POST.get("idOp", "")
    if not idop:
        return HttpResponse("idOp manquant", status=400, content_type="text/plain")
    status = note(idop[:64])
    if status is None:
        LOGGER.warning("refused: notification for an unknown idOp %r", idop[:64])
        return HttpResponse("opération inconnue", status=404, content_type="text/plain")
    if status == OperationStatus.WAITING:
        queue_check()
    return HttpResponse("ok", content_type="text/plain")
