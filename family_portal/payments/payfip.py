"""Talking to PayFiP through eopayment's ``payfip_ws`` client.

``PAYFIP_WSDL_URL`` empty: the WSDL eopayment ships (the real service's address);
set: the WSDL that server serves (our fake PayFiP in the demo and the tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import eopayment
from django.conf import settings
from eopayment.payfip_ws import PAYMENT_URL, PayFiP, PayFiPError
from zeep.transports import Transport

__all__ = ["Answer", "PayFiPError", "create_operation", "fetch_answer", "payment_url"]


@lru_cache(maxsize=4)
def _soap(wsdl_url: str, timeout: float) -> PayFiP:
    # One client per process (the WSDL parsed once), shared by the threads checking
    # notifications: eopayment sets the transport's timeout around each call and puts
    # the previous one back, so every call passes the one it was built with, and none
    # can run without a timeout.
    transport = Transport(timeout=timeout, operation_timeout=timeout)
    return PayFiP(
        wsdl_url=wsdl_url or None, zeep_client_kwargs={"transport": transport}
    )


def soap() -> PayFiP:
    return _soap(settings.PAYFIP_WSDL_URL, settings.PAYFIP_TIMEOUT)


def payment_url(idop: str) -> str:
    base = settings.PAYFIP_PAYMENT_URL or PAYMENT_URL
    return f"{base}?idop={idop}"


def create_operation(
    *, numcli, amount, email, refdet, exer, subject, notify_url, return_url
) -> str:
    """Ask PayFiP for an operation (``creerPaiementSecurise``); its ``idOp``."""
    backend = eopayment.Payment(
        "payfip_ws",
        {
            "numcli": numcli,
            "saisie": settings.PAYFIP_SAISIE,
            "normal_return_url": return_url,
            "automatic_return_url": notify_url,
        },
    )
    backend.backend.payfip = soap()
    idop, _kind, _url = backend.request(
        amount,
        email=email,
        refdet=refdet,
        exer=exer,
        subject=subject,
        timeout=settings.PAYFIP_TIMEOUT,
    )
    return idop


@dataclass(frozen=True)
class Answer:
    """``recupererDetailPaiementSecurise``'s answer, or its error code (P1, P5…)."""

    error: str = ""
    resultrans: str = ""
    montant: str = ""
    refdet: str = ""
    idop: str = ""
    numauto: str = ""
    dattrans: str = ""
    heurtrans: str = ""


def fetch_answer(idop: str) -> Answer:
    """PayFiP's own word about ``idop``; raises PayFiPError when it cannot be had."""
    try:
        response = soap().get_info_paiement(idop, timeout=settings.PAYFIP_TIMEOUT)
    except PayFiPError as error:
        if error.code in {"P1", "P5"}:
            return Answer(error=error.code)
        raise
    return Answer(
        resultrans=response.resultrans or "",
        montant=response.montant or "",
        refdet=response.refdet or "",
        idop=response.idOp or "",
        numauto=response.numauto or "",
        dattrans=response.dattrans or "",
        heurtrans=response.heurtrans or "",
    )
