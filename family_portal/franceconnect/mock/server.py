"""The local FranceConnect: an OpenID Connect provider over real HTTP on loopback.

What it does as FranceConnect does, so the portal's client is tested for real:

- discovery (``/.well-known/openid-configuration``) and its signing keys (``/jwks``);
- ``/authorize``: the authorization code flow only, ``state`` and ``nonce`` required
  (FranceConnect refuses a request without them), PKCE (S256) honoured when the client
  sends a ``code_challenge``, ``acr_values`` echoed as the ``acr`` claim; a French page
  lists the people of ``identities.py``, one button each, and "Annuler";
- ``/token``: the client authenticated (``client_secret_post`` or ``_basic``), the code
  used once, its ``redirect_uri`` and PKCE verifier checked; an RS256-signed ID token
  (``iss``, ``aud``, ``exp``, ``iat``, ``nonce``, ``acr``) and a random access token;
- ``/userinfo``: the claims the granted scopes reveal; 401 once the token expired
  (``error_description`` says "expired") or is unknown;
- ``/session/end``: RP-initiated logout with ``id_token_hint`` (checked: signed here),
  the person's tokens revoked, back to ``post_logout_redirect_uri`` with ``state``.

Control routes for tests (``/__mock__/``): ``health``, ``stats``, ``expire`` (every
access token, or one person's, expires now), ``tamper`` (the next ID token goes out
spoilt: its signature, its key, its nonce, its audience or its issuer), ``reset``.

Log lines hold the method, the path and the status: never a query string, a code, a
token or a claim.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import secrets
import socketserver
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from .identities import IDENTITIES, claims_for, label

LOGGER = logging.getLogger("franceconnect.mock")

# The demo's client of this local FranceConnect (not secrets: a local fake's values).
DEFAULT_CLIENT_ID = "portail-famille-demo"
DEFAULT_CLIENT_SECRET = "demo-franceconnect-secret"  # noqa: S105
DEFAULT_TOKEN_TTL = 1800
CODE_TTL = 60
CONTROL_PREFIX = "/__mock__/"
JSON = "application/json; charset=utf-8"
SUPPORTED_SCOPES = (
    "openid",
    "identite_pivot",
    "profile",
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
    "cnaf_adresse",
)


@dataclass
class Grant:
    """An authorization code waiting for its exchange."""

    client_id: str
    redirect_uri: str
    sub: str
    scopes: frozenset[str]
    nonce: str
    acr: str
    code_challenge: str
    expires_at: float


@dataclass
class AccessToken:
    sub: str
    scopes: frozenset[str]
    expires_at: float


@dataclass
class State:
    client_id: str
    client_secret: str
    token_ttl: float
    identities: dict[str, dict[str, Any]]
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(
            public_exponent=65537, key_size=2048
        )
    )
    kid: str = field(default_factory=lambda: secrets.token_hex(8))
    # The next ID token goes out spoilt, for the tests of the client's checks:
    # "signature" (a byte changed), "key" (signed with another key, same kid),
    # "nonce" (another nonce), "audience" (another client), "issuer" (another issuer).
    tamper: str | None = None
    codes: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    stats: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, use="sig", alg="RS256")
        return {"keys": [jwk]}

    def reset(self) -> None:
        with self.lock:
            self.tamper = None
            self.codes.clear()
            self.tokens.clear()
            self.stats.clear()

    def expire(self, sub: str | None = None) -> int:
        """Every access token (or ``sub``'s) expires now; how many did."""
        now = time.time()
        count = 0
        with self.lock:
            for token in self.tokens.values():
                if sub is None or token.sub == sub:
                    token.expires_at = min(token.expires_at, now - 1)
                    count += 1
        return count


class MockProviderHandler(BaseHTTPRequestHandler):
    server: MockProviderServer
    protocol_version = "HTTP/1.1"
    server_version = "LocalFranceConnect/1.0"

    def version_string(self) -> str:
        return self.server_version

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        LOGGER.info("%s %s %s", self.command, urlsplit(self.path).path, code)

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002
        LOGGER.warning("local FranceConnect rejected a malformed request")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return

    @property
    def state(self) -> State:
        return self.server.state

    # -- plumbing ---------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._dispatch()

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch()

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if self.command == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, 64 * 1024)).decode("utf-8", "replace")
            if parts.path.startswith(CONTROL_PREFIX):
                try:
                    params.update(json.loads(body or "{}"))
                except ValueError:
                    return self._json(400, {"error": "invalid JSON"})
            else:
                params.update({k: v[-1] for k, v in parse_qs(body).items()})
        routes = {
            "/.well-known/openid-configuration": self._discovery,
            "/jwks": lambda p: self._json(200, self.state.jwks()),
            "/authorize": self._authorize,
            "/token": self._token,
            "/userinfo": self._userinfo,
            "/session/end": self._end_session,
            CONTROL_PREFIX + "health": lambda p: self._json(200, {"status": "ok"}),
            CONTROL_PREFIX + "stats": lambda p: self._json(200, dict(self.state.stats)),
            CONTROL_PREFIX + "expire": self._control_expire,
            CONTROL_PREFIX + "tamper": self._control_tamper,
            CONTROL_PREFIX + "reset": self._control_reset,
        }
        route = routes.get(parts.path)
        if route is None:
            return self._json(404, {"error": "not_found"})
        route(params)

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any, headers: dict | None = None) -> None:
        self._send(status, json.dumps(data).encode(), JSON, headers)

    def _redirect(self, url: str) -> None:
        self._send(302, b"", "text/plain", {"Location": url})

    def _page(self, status: int, title: str, body: str) -> None:
        page = PAGE.format(title=html.escape(title), body=body)
        self._send(status, page.encode(), "text/html; charset=utf-8")

    @property
    def issuer(self) -> str:
        return self.server.base_url

    # -- OpenID Connect -----------------------------------------------------------------

    def _discovery(self, params: dict) -> None:
        base = self.issuer
        self._json(
            200,
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/authorize",
                "token_endpoint": f"{base}/token",
                "userinfo_endpoint": f"{base}/userinfo",
                "end_session_endpoint": f"{base}/session/end",
                "jwks_uri": f"{base}/jwks",
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code"],
                "scopes_supported": list(SUPPORTED_SCOPES),
                "claims_supported": ["sub", *sorted(IDENTITIES[0])],
                "acr_values_supported": ["eidas1"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "client_secret_basic",
                ],
                "code_challenge_methods_supported": ["S256"],
            },
        )

    def _authorize(self, params: dict) -> None:
        problem = self._authorize_problem(params)
        if problem:
            return self._page(
                400,
                "Demande refusée",
                f"<h1>Demande refusée</h1><p>{html.escape(problem)}</p>",
            )
        redirect_uri = params["redirect_uri"]
        if self.command == "GET":
            return self._page(200, "FranceConnect (local)", _choice_page(params, self))
        if params.get("action") == "cancel":
            query = {"error": "access_denied", "state": params["state"]}
            return self._redirect(_with_query(redirect_uri, query))
        identity = self.state.identities.get(params.get("sub", ""))
        if identity is None:
            return self._page(400, "Personne inconnue", "<h1>Personne inconnue</h1>")
        code = secrets.token_urlsafe(24)
        scopes = frozenset(params.get("scope", "").split())
        with self.state.lock:
            self.state.codes[code] = Grant(
                client_id=params["client_id"],
                redirect_uri=redirect_uri,
                sub=identity["sub"],
                scopes=scopes & frozenset(SUPPORTED_SCOPES),
                nonce=params["nonce"],
                acr="eidas1",
                code_challenge=params.get("code_challenge", ""),
                expires_at=time.time() + CODE_TTL,
            )
            self.state.stats["authorizations"] += 1
        self._redirect(
            _with_query(redirect_uri, {"code": code, "state": params["state"]})
        )

    def _authorize_problem(self, params: dict) -> str:
        if params.get("client_id") != self.state.client_id:
            return "Fournisseur de service inconnu (client_id)."
        if params.get("response_type") != "code":
            return "Seul le flux « code » est accepté (response_type=code)."
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri.startswith(("http://", "https://")):
            return "Adresse de retour manquante ou invalide (redirect_uri)."
        if "openid" not in params.get("scope", "").split():
            return "Le scope « openid » est obligatoire."
        for name in ("state", "nonce"):
            if len(params.get(name, "")) < 22:
                return f"Paramètre « {name} » manquant ou trop court."
        if params.get("acr_values", "eidas1") != "eidas1":
            return "Niveau de garantie non proposé (acr_values=eidas1)."
        method = params.get("code_challenge_method", "S256")
        if params.get("code_challenge") and method != "S256":
            return "PKCE : seule la méthode S256 est acceptée."
        return ""

    def _token(self, params: dict) -> None:
        client_id, secret = self._client_credentials(params)
        if client_id != self.state.client_id or not secrets.compare_digest(
            secret.encode(), self.state.client_secret.encode()
        ):
            return self._json(401, {"error": "invalid_client"})
        if params.get("grant_type") != "authorization_code":
            return self._json(400, {"error": "unsupported_grant_type"})
        with self.state.lock:
            grant = self.state.codes.pop(params.get("code", ""), None)
        if (
            grant is None
            or grant.expires_at < time.time()
            or grant.client_id != client_id
            or grant.redirect_uri != params.get("redirect_uri")
        ):
            return self._json(400, {"error": "invalid_grant"})
        if grant.code_challenge:
            verifier = params.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if not verifier or not secrets.compare_digest(
                expected, grant.code_challenge
            ):
                return self._json(
                    400, {"error": "invalid_grant", "error_description": "PKCE"}
                )
        now = int(time.time())
        access_token = secrets.token_urlsafe(32)
        ttl = int(self.state.token_ttl)
        with self.state.lock:
            self.state.tokens[access_token] = AccessToken(
                grant.sub, grant.scopes, now + ttl
            )
            self.state.stats["tokens"] += 1
        with self.state.lock:
            tamper, self.state.tamper = self.state.tamper, None
        claims = {
            "iss": self.issuer + ("/autre" if tamper == "issuer" else ""),
            "sub": grant.sub,
            "aud": "autre-client" if tamper == "audience" else client_id,
            "iat": now,
            "exp": now + ttl,
            "auth_time": now,
            "nonce": "autre-nonce" if tamper == "nonce" else grant.nonce,
            "acr": grant.acr,
            "amr": ["pwd"],
        }
        key = self.state.key
        if tamper == "key":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        id_token = jwt.encode(
            claims, key, algorithm="RS256", headers={"kid": self.state.kid}
        )
        if tamper == "signature":
            head, payload, signature = id_token.split(".")
            flipped = "A" if signature[10] != "A" else "B"
            id_token = f"{head}.{payload}.{signature[:10]}{flipped}{signature[11:]}"
        self._json(
            200,
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": ttl,
                "id_token": id_token,
                "scope": " ".join(sorted(grant.scopes)),
            },
        )

    def _client_credentials(self, params: dict) -> tuple[str, str]:
        header = self.headers.get("Authorization") or ""
        if header.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(header[6:]).decode()
            except ValueError:
                return "", ""
            client_id, _, secret = decoded.partition(":")
            return client_id, secret
        return params.get("client_id", ""), params.get("client_secret", "")

    def _userinfo(self, params: dict) -> None:
        scheme, _, bearer = (self.headers.get("Authorization") or "").partition(" ")
        with self.state.lock:
            token = (
                self.state.tokens.get(bearer.strip())
                if scheme.lower() == "bearer"
                else None
            )
            self.state.stats["userinfo"] += 1
        if token is None or token.expires_at < time.time():
            reason = "unknown" if token is None else "expired"
            return self._json(
                401,
                {"error": "invalid_token", "error_description": reason},
                {
                    "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{reason}"'
                },
            )
        identity = self.state.identities[token.sub]
        self._json(200, claims_for(identity, set(token.scopes)))

    def _end_session(self, params: dict) -> None:
        try:
            claims = jwt.decode(
                params.get("id_token_hint", ""),
                self.state.key.public_key(),
                algorithms=["RS256"],
                audience=self.state.client_id,
                issuer=self.issuer,
                # FranceConnect accepts the hint of a session whose token expired.
                options={"verify_exp": False},
            )
        except jwt.PyJWTError:
            return self._page(
                400,
                "Déconnexion refusée",
                "<h1>Déconnexion refusée</h1><p>id_token_hint manquant ou invalide.</p>",
            )
        with self.state.lock:
            for value, token in list(self.state.tokens.items()):
                if token.sub == claims["sub"]:
                    del self.state.tokens[value]
            self.state.stats["logouts"] += 1
        target = params.get("post_logout_redirect_uri", "")
        if not target.startswith(("http://", "https://")):
            return self._page(200, "Déconnecté", "<h1>Vous êtes déconnecté.</h1>")
        query = {"state": params["state"]} if params.get("state") else {}
        self._redirect(_with_query(target, query))

    # -- control --------------------------------------------------------------------------

    def _control_expire(self, params: dict) -> None:
        if self.command != "POST":
            return self._json(405, {"error": "POST only"})
        self._json(200, {"expired": self.state.expire(params.get("sub"))})

    def _control_tamper(self, params: dict) -> None:
        if self.command != "POST":
            return self._json(405, {"error": "POST only"})
        what = params.get("what")
        if what not in ("signature", "key", "nonce", "audience", "issuer"):
            return self._json(
                400, {"error": "what: signature, key, nonce, audience, issuer"}
            )
        with self.state.lock:
            self.state.tamper = what
        self._json(200, {"tamper": what})

    def _control_reset(self, params: dict) -> None:
        if self.command != "POST":
            return self._json(405, {"error": "POST only"})
        self.state.reset()
        self._json(200, {"reset": True})


def _with_query(url: str, query: dict) -> str:
    separator = "&" if urlsplit(url).query else "?"
    return f"{url}{separator}{urlencode(query)}" if query else url


PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: sans-serif; max-width: 36rem; margin: 2rem auto; padding: 0 1rem;
  color: #161616; }}
.note {{ background: #fff4d4; padding: .75rem 1rem; border-left: 4px solid #b34000; }}
button {{ display: block; width: 100%; margin: .5rem 0; padding: .75rem 1rem;
  font-size: 1rem; text-align: left; background: #000091; color: #fff; border: 0;
  cursor: pointer; }}
button.secondary {{ background: #fff; color: #000091; border: 1px solid #000091; }}
button:focus {{ outline: 3px solid #0a76f6; outline-offset: 2px; }}
</style></head>
<body><main>{body}</main></body></html>
"""


def _choice_page(params: dict, handler: MockProviderHandler) -> str:
    hidden = "".join(
        f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
        for name, value in params.items()
        if name not in ("sub", "action")
    )
    buttons = "".join(
        f'<button type="submit" name="sub" value="{html.escape(identity["sub"])}">'
        f"Se connecter en tant que {html.escape(label(identity))}</button>"
        for identity in handler.state.identities.values()
    )
    return (
        "<h1>FranceConnect — fournisseur d'identité local</h1>"
        '<p class="note">Serveur de démonstration et de test : aucune donnée réelle. '
        "Choisissez la personne qui se connecte.</p>"
        f'<form method="post" action="/authorize">{hidden}{buttons}'
        '<button type="submit" name="action" value="cancel" class="secondary">'
        "Annuler et revenir au portail</button></form>"
    )


class MockProviderServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: State) -> None:
        self.state = state
        super().__init__(address, MockProviderHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can stall.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


def create_server(
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    client_id: str = DEFAULT_CLIENT_ID,
    client_secret: str = DEFAULT_CLIENT_SECRET,
    token_ttl: float = DEFAULT_TOKEN_TTL,
) -> MockProviderServer:
    """A bound, not yet serving, local FranceConnect (``port=0``: a free port)."""
    state = State(
        client_id=client_id,
        client_secret=client_secret,
        token_ttl=token_ttl,
        identities={identity["sub"]: identity for identity in IDENTITIES},
    )
    return MockProviderServer((host, port), state)
