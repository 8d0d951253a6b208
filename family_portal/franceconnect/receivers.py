"""After a FranceConnect sign-in: the tokens go to the session, the pivot identity
certifies the parent's guardian (or waits in the session for the family's creation);
at logout they go."""

from __future__ import annotations

import logging

from allauth.account.signals import user_logged_in
from django.contrib import messages
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from family_portal.models import Family

from . import session
from .identity import PivotIdentity, certify_family_guardian
from .provider import PROVIDER_ID

logger = logging.getLogger("family_portal.franceconnect")


def remember_login(request, sociallogin) -> None:
    """Keep what a FranceConnect login brought (``sociallogin.franceconnect``, set by the
    provider's adapter; absent after a login serialised through allauth's forms)."""
    transient = getattr(sociallogin, "franceconnect", None)
    if not transient:
        return
    sub = sociallogin.account.uid
    session.remember(
        request,
        sub=sub,
        access_token=transient["access_token"],
        id_token=transient["id_token"],
        expires_at=transient["expires_at"],
    )
    try:
        identity = PivotIdentity.from_claims(transient["identity"])
    except ValueError:
        logger.warning("FranceConnect sign-in without a whole pivot identity")
        return
    family = Family.for_user(sociallogin.user)
    if family is None:
        session.keep_identity(request, transient["identity"])
        return
    session.forget_identity(request)
    guardian = certify_family_guardian(family, identity, sociallogin.user.email)
    if guardian is None:
        messages.warning(
            request,
            "Votre identité FranceConnect ne correspond à aucun responsable légal de "
            "votre famille : vérifiez les noms et dates de naissance enregistrés, ou "
            "adressez-vous au service famille.",
        )


@receiver(user_logged_in)
def on_login(sender, request, user, sociallogin=None, **kwargs):
    if sociallogin is not None and sociallogin.account.provider == PROVIDER_ID:
        remember_login(request, sociallogin)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        session.forget(request)
