"""allauth's social account adapter for FranceConnect: when to sign in, when to create
the account, and when to ask the password of an existing account before linking it."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthProcess
from django.contrib import messages
from django.shortcuts import redirect

from home.accounts import is_staff_account

from . import receivers

# The login waiting for the password of the account it is to be linked to.
LINK_SESSION_KEY = "franceconnect_link"
# Set by the linking page once the password was right: the user it is for.
LINK_CONFIRMED_KEY = "franceconnect_link_confirmed"


def account_with_email(email: str):
    """The user whose verified address this is, or None."""
    if not email:
        return None
    address = (
        EmailAddress.objects.filter(email__iexact=email, verified=True)
        .select_related("user")
        .first()
    )
    return address.user if address is not None else None


def _refuse(request, message: str, to: str = "account_login"):
    messages.error(request, message)
    raise ImmediateHttpResponse(redirect(to))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request, sociallogin):
        process = sociallogin.state.get("process")
        if process == AuthProcess.CONNECT:
            _refuse(
                request,
                "Pour lier FranceConnect à votre compte, déconnectez-vous puis "
                "choisissez « S'identifier avec FranceConnect ».",
                "family_portal:dashboard",
            )
        if process == AuthProcess.REDIRECT:
            self._reconnect(request, sociallogin)
            return
        if sociallogin.is_existing:
            return
        confirmed = request.session.pop(LINK_CONFIRMED_KEY, None)
        user = account_with_email(sociallogin.user.email)
        if user is None:
            return  # a new account (auto sign-up)
        if is_staff_account(user):
            _refuse(
                request,
                "Cette adresse électronique est celle d'un compte du personnel de la "
                "commune : il ne peut pas être lié à FranceConnect.",
            )
        if confirmed == user.pk:
            sociallogin.connect(request, user)
            return
        request.session[LINK_SESSION_KEY] = {
            "login": sociallogin.serialize(),
            "franceconnect": getattr(sociallogin, "franceconnect", None),
        }
        raise ImmediateHttpResponse(redirect("franceconnect_link"))

    def _reconnect(self, request, sociallogin):
        """FranceConnect again for a parent already signed in (the wizard's expired
        token): the same person gets fresh tokens, the session (and the wizard's
        answers) stays."""
        if not (
            request.user.is_authenticated
            and sociallogin.is_existing
            and sociallogin.user.pk == request.user.pk
        ):
            _refuse(
                request,
                "Cette identité FranceConnect n'est pas celle de votre compte : "
                "rien n'a été changé.",
                "family_portal:dashboard"
                if request.user.is_authenticated
                else "account_login",
            )
        receivers.remember_login(request, sociallogin)
        messages.success(request, "Vous êtes de nouveau connecté avec FranceConnect.")

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ):
        # The default says nothing; the page (templates/socialaccount/
        # authentication_error.html) explains, in French. Never log the exception's
        # text: it may quote a token.
        return None
