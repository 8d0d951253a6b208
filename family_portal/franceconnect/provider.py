"""FranceConnect as a django-allauth provider: allauth's OpenID Connect provider, made to
follow FranceConnect's rules.

allauth (65.x) brings the authorization code flow, ``state`` (its state store, one use),
PKCE (``OAUTH_PKCE_ENABLED``), discovery and the JWKS signature check (``jwtkit``). Added
here: a ``nonce`` sent and checked against the ID token; ``acr_values=eidas1`` and
the ``acr`` of the ID token checked; the ID token's signature checked always (allauth
skips it when the token came straight from the token endpoint); a userinfo answer
signed as a JWT (FranceConnect v2) checked like the ID token, and its ``sub`` compared;
scopes and authorization parameters fixed here, never taken from the request; and only
the subject kept in the database (``extract_extra_data``): the pivot identity and the
tokens travel on the login object to ``receivers.py``, which puts them in the session.
"""

from __future__ import annotations

import secrets

from allauth.account.models import EmailAddress
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import (
    OAuth2CallbackView,
    OAuth2LoginView,
)
from allauth.socialaccount.providers.openid_connect.provider import (
    OpenIDConnectProvider,
)
from allauth.socialaccount.providers.openid_connect.views import (
    OpenIDConnectOAuth2Adapter,
)
from allauth.utils import build_absolute_uri
from django.urls import reverse

PROVIDER_ID = "franceconnect"
ACR = "eidas1"
# Levels at least as strong as the one asked for.
ACCEPTED_ACR = {"eidas1", "eidas2", "eidas3"}
# The pivot identity, the e-mail address and the usage name, and API Particulier's
# data scopes (the QF on the /france_connect route).
SCOPES = [
    "openid",
    "given_name",
    "family_name",
    "birthdate",
    "gender",
    "birthplace",
    "birthcountry",
    "preferred_username",
    "email",
    "cnaf_quotient_familial",
    "cnaf_allocataires",
    "cnaf_enfants",
]


class FranceConnectAdapter(OpenIDConnectOAuth2Adapter):
    expected_nonce: str | None = None

    def __init__(self, request) -> None:
        super().__init__(request, PROVIDER_ID)

    def get_callback_url(self, request, app):
        return build_absolute_uri(request, reverse("franceconnect_callback"))

    def complete_login(self, request, app, token, **kwargs):
        response = kwargs["response"]
        raw_id_token = response.get("id_token")
        if not raw_id_token:
            raise OAuth2Error("FranceConnect sent no ID token")
        claims = self._verified(raw_id_token, app)
        nonce = claims.get("nonce")
        if (
            not self.expected_nonce
            or not isinstance(nonce, str)
            or not secrets.compare_digest(nonce, self.expected_nonce)
        ):
            raise OAuth2Error("ID token nonce mismatch")
        if claims.get("acr") not in ACCEPTED_ACR:
            raise OAuth2Error("ID token acr below eidas1")
        userinfo = self._userinfo(token.token, app)
        if userinfo.get("sub") != claims.get("sub"):
            raise OAuth2Error("userinfo subject differs from the ID token's")
        login = self.get_provider().sociallogin_from_response(
            request, {"userinfo": userinfo, "id_token": claims}
        )
        # Carried on the login object (never saved, never serialised), for
        # receivers.py; adapter.py keeps it server side across the linking step.
        login.franceconnect = {
            "identity": userinfo,
            "id_token": raw_id_token,
            "access_token": token.token,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        }
        return login

    def _verified(self, credential: str, app) -> dict:
        return jwtkit.verify_and_decode(
            credential=credential,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )

    def _userinfo(self, access_token: str, app) -> dict:
        headers = {"Authorization": f"Bearer {access_token}"}
        with get_social_adapter().get_requests_session() as session:
            response = session.get(self.profile_url, headers=headers)
            response.raise_for_status()
        if response.headers.get("Content-Type", "").startswith("application/jwt"):
            return self._verified(response.text.strip(), app)
        return response.json()


class FranceConnectCallbackView(OAuth2CallbackView):
    def _get_state(self, request, provider):
        state, response = super()._get_state(request, provider)
        if state is not None:
            self.adapter.expected_nonce = state.get("nonce")
        return state, response


class FranceConnectProvider(OpenIDConnectProvider):
    id = PROVIDER_ID
    name = "FranceConnect"
    oauth2_adapter_class = FranceConnectAdapter
    pkce_enabled_default = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.name = "FranceConnect"

    def get_login_url(self, request, **kwargs):
        return reverse("franceconnect_login")

    def get_callback_url(self):
        return reverse("franceconnect_callback")

    def get_oauth2_adapter(self, request):
        return FranceConnectAdapter(request)

    def get_default_scope(self):
        return list(SCOPES)

    def get_scope_from_request(self, request):
        return self.get_scope()

    def get_auth_params_from_request(self, request, action):
        return self.get_auth_params()

    def get_auth_params(self):
        return {**super().get_auth_params(), "acr_values": ACR}

    def redirect(self, request, process, next_url=None, data=None, **kwargs):
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None) or self.get_auth_params()
        auth_params["nonce"] = nonce
        return super().redirect(
            request,
            process,
            next_url,
            data,
            auth_params=auth_params,
            nonce=nonce,
            # allauth's own state id is 12 characters; FranceConnect wants more.
            state_id=secrets.token_urlsafe(32),
            **kwargs,
        )

    def extract_extra_data(self, data):
        return {"sub": str(data["id_token"]["sub"])}

    def extract_uid(self, data):
        return str(data["id_token"]["sub"])

    def extract_common_fields(self, data):
        info = data.get("userinfo") or {}
        return {
            "email": info.get("email"),
            "first_name": str(info.get("given_name") or "").split(" ")[0],
            "last_name": info.get("family_name") or "",
        }

    def extract_email_addresses(self, data):
        email = (data.get("userinfo") or {}).get("email")
        # The address FranceConnect's identity provider holds for the person and
        # checked; it never links to an existing account by itself (adapter.py asks
        # for that account's password).
        if not email:
            return []
        return [EmailAddress(email=email, verified=True, primary=True)]


def login(request):
    return OAuth2LoginView.adapter_view(FranceConnectAdapter)(request)


def callback(request):
    return FranceConnectCallbackView.adapter_view(FranceConnectAdapter)(request)


provider_classes = [FranceConnectProvider]
