"""FranceConnect's pages of our own: linking an existing account (its password asked
first) and the logout that also ends the FranceConnect session."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import requests
from allauth.account.views import LogoutView as AllauthLogoutView
from allauth.socialaccount.helpers import complete_social_login
from allauth.socialaccount.models import SocialLogin
from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate
from django.core import signing
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from home.forms import PortalForm

from . import session
from .adapter import LINK_CONFIRMED_KEY, LINK_SESSION_KEY
from .provider import FranceConnectAdapter

logger = logging.getLogger("family_portal.franceconnect")
LOGOUT_SALT = "franceconnect-logout"
LOGOUT_STATE_AGE = 3600


class LinkForm(PortalForm):
    password = forms.CharField(
        label="Mot de passe de votre compte",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Saisissez le mot de passe de votre compte."},
    )


@never_cache
@sensitive_post_parameters("password")
def link(request):
    """The FranceConnect person's e-mail address is an existing account's: its owner
    confirms with the account's password before FranceConnect is linked to it."""
    pending = request.session.get(LINK_SESSION_KEY)
    if not pending:
        messages.error(
            request,
            "Cette demande de liaison n'est plus valable : identifiez-vous de nouveau "
            "avec FranceConnect.",
        )
        return redirect("account_login")
    sociallogin = SocialLogin.deserialize(pending["login"])
    email = sociallogin.user.email
    form = LinkForm(request.POST or None)
    if request.method == "POST" and "cancel" in request.POST:
        request.session.pop(LINK_SESSION_KEY, None)
        messages.info(request, "Votre compte n'a pas été lié à FranceConnect.")
        return redirect("account_login")
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request, email=email, password=form.cleaned_data["password"]
        )
        if user is None:
            form.add_error("password", "Ce mot de passe n'est pas le bon.")
        else:
            request.session.pop(LINK_SESSION_KEY, None)
            request.session[LINK_CONFIRMED_KEY] = user.pk
            sociallogin.franceconnect = pending.get("franceconnect")
            messages.success(
                request,
                "Votre compte est désormais lié à votre identité FranceConnect.",
            )
            return complete_social_login(request, sociallogin)
    return render(request, "franceconnect/link.html", {"form": form, "email": email})


class LogoutView(AllauthLogoutView):
    """allauth's logout; after a FranceConnect sign-in, on to FranceConnect's own
    logout (``id_token_hint``, a signed ``state``), which comes back to ``logged_out``."""

    def get_redirect_url(self):
        target = super().get_redirect_url()
        hint = session.id_token(self.request)
        if not hint:
            return target
        try:
            endpoint = FranceConnectAdapter(self.request).openid_config[
                "end_session_endpoint"
            ]
        except (requests.RequestException, KeyError, ValueError) as error:
            # Signed out here all the same; FranceConnect's session ends on its own.
            logger.warning("FranceConnect logout unreachable: %s", type(error).__name__)
            return target
        state = signing.dumps({"next": target}, salt=LOGOUT_SALT)
        query = urlencode(
            {
                "id_token_hint": hint,
                "state": state,
                "post_logout_redirect_uri": self.request.build_absolute_uri(
                    reverse("franceconnect_logged_out")
                ),
            }
        )
        return f"{endpoint}?{query}"


def logged_out(request):
    """Back from FranceConnect's logout: to where the parent was going."""
    target = "/"
    try:
        data = signing.loads(
            request.GET.get("state", ""), salt=LOGOUT_SALT, max_age=LOGOUT_STATE_AGE
        )
    except signing.BadSignature:
        data = {}
    candidate = data.get("next") or "/"
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = candidate
    return redirect(target)
