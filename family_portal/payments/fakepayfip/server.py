"""The fake PayFiP server: SOAP web-service, payment page, notifications, faults.

Endpoints:
- ``GET /tpa/services/securite?wsdl`` and its three schemas: eopayment's WSDL, pointing here;
- ``POST /tpa/services/securite``: ``creerPaiementSecurise``, ``recupererDetailPaiementSecurise``,
  ``recupererDetailClient``;
- ``GET /tpa/paiementws.web?idop=…``: the payment page; ``POST`` it with ``choice`` = ``P``
  (card accepted), ``R`` (refused), ``A`` (abandoned), ``V`` / ``Z`` (direct debit);
- ``GET /__fake__/health``; ``POST /__fake__/control`` (JSON, see ``Faults``);
  ``POST /__fake__/reset``; ``POST /__fake__/notify`` (``{"idop": …}``: sends the held
  notification, or a forged one with ``{"idop": …, "url": …}``); ``POST /__fake__/forget``
  (``{"idop": …}``: the night's purge, P1 afterwards); ``GET /__fake__/operations``.
"""

from __future__ import annotations

import html
import json
import logging
import secrets
import threading
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import eopayment

LOGGER = logging.getLogger("family_portal.payments.fakepayfip")

RESOURCES = Path(eopayment.__file__).resolve().parent / "resource"
SERVICE_PATH = "/tpa/services/securite"
PAGE_PATH = "/tpa/paiementws.web"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = (
    "http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/"
    "contrat_paiement_securise/PaiementSecuriseService"
)
FAULT_STRING = "fr.gouv.finances.cp.tpa.webservice.exceptions.FonctionnelleErreur"
RESULTS = {
    "P": "Carte acceptée",
    "R": "Carte refusée",
    "V": "Prélèvement accepté",
    "Z": "Prélèvement refusé",
    "A": "Abandonner le paiement",
}
PARIS = ZoneInfo("Europe/Paris")
# Readable on a phone: one column, large buttons, visible focus, AA contrast.
PAGE_STYLE = """
body { margin: 0; font: 1.0625rem/1.5 system-ui, sans-serif; color: #1e1e1e; }
header { background: #000091; color: #fff; padding: .75rem 1rem; }
header p { margin: 0; }
.tag { background: #fff; color: #000091; border-radius: .25rem; padding: 0 .4rem;
  font-size: .875rem; font-weight: 700; }
main { max-width: 40rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.75rem; margin: .5rem 0 1rem; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
.facts dt { font-weight: 700; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.note { background: #fef7da; border-left: .25rem solid #716043; padding: .75rem; }
fieldset { border: 1px solid #666; border-radius: .25rem; padding: .75rem 1rem 1rem; }
legend { font-weight: 700; padding: 0 .25rem; }
.choices { list-style: none; margin: 0; padding: 0; display: grid; gap: .75rem; }
button { width: 100%; min-height: 2.75rem; font: inherit; font-weight: 700;
  color: #fff; background: #000091; border: 2px solid #000091; border-radius: .25rem;
  padding: .5rem 1rem; cursor: pointer; }
button[value=R], button[value=Z], button[value=A] { color: #000091; background: #fff; }
button:focus-visible, a:focus-visible { outline: 3px solid #0a76f6; outline-offset: 2px; }
a { color: #000091; }
"""


@dataclass
class Faults:
    """What the next answers do wrong; set with ``POST /__fake__/control``."""

    latency: float = 0.0  # seconds before each SOAP answer
    notify_twice: bool = False  # each notification is sent twice
    notify_early: bool = False  # a notification right after creerPaiementSecurise
    hold_notifications: bool = False  # kept until POST /__fake__/notify
    amount_delta: int = 0  # cents added to montant in recupererDetailPaiementSecurise


@dataclass
class Operation:
    idop: str
    numcli: str
    exer: str
    refdet: str
    montant: str
    mel: str
    urlnotif: str
    urlredirect: str
    objet: str
    saisie: str
    resultrans: str = ""
    dattrans: str = ""
    heurtrans: str = ""
    numauto: str = ""
    forgotten: bool = False
    notifications: list[float] = field(default_factory=list)


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.operations: dict[str, Operation] = {}
        self.faults = Faults()
        self.held: list[str] = []

    def reset(self) -> None:
        with self.lock:
            self.operations.clear()
            self.faults = Faults()
            self.held.clear()


def wsdl_text(base_url: str) -> str:
    text = (RESOURCES / "PaiementSecuriseService.wsdl").read_text(encoding="utf-8")
    return text.replace(
        "https://www.payfip.gouv.fr/tpa/services/securite", base_url + SERVICE_PATH
    )


def envelope(body: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="{SOAP_NS}">'
        f"<S:Body>{body}</S:Body></S:Envelope>"
    ).encode()


def fault(code: str, text: str) -> bytes:
    return envelope(
        f"<S:Fault><faultcode>S:Server</faultcode><faultstring>{FAULT_STRING}"
        f'</faultstring><detail><ns2:FonctionnelleErreur xmlns:ns2="{SERVICE_NS}">'
        f"<code>{code}</code><descriptif>{html.escape(text)}</descriptif>"
        f"<libelle>{html.escape(text)}</libelle><severite>2</severite>"
        "</ns2:FonctionnelleErreur></detail></S:Fault>"
    )


def answer(operation: str, fields: dict[str, str]) -> bytes:
    inner = "".join(
        f"<{key}>{html.escape(value)}</{key}>" for key, value in fields.items()
    )
    return envelope(
        f'<ns2:{operation}Response xmlns:ns2="{SERVICE_NS}"><return>{inner}</return>'
        f"</ns2:{operation}Response>"
    )


def return_url(operation: Operation) -> str:
    separator = "&" if "?" in operation.urlredirect else "?"
    return f"{operation.urlredirect}{separator}idop={operation.idop}"


def send_notification(url: str, idop: str) -> int:
    data = urllib.parse.urlencode({"idOp": idop}).encode()
    request = urllib.request.Request(url, data=data, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError as error:
        LOGGER.warning("notification of %s to %s failed: %s", idop, url, error)
        return 0


class Handler(BaseHTTPRequestHandler):
    server: FakePayFiPServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle's algorithm on, the body waits
    # for the client's delayed ACK (40 ms on Linux), and every SOAP answer took 50 ms.
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        LOGGER.info("%s %s", self.address_string(), format % args)

    # -- plumbing
    def reply(self, status: int, body: bytes, content_type: str, headers=()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def reply_json(self, data, status: int = 200) -> None:
        self.reply(status, json.dumps(data).encode(), "application/json")

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    # -- routes
    def do_GET(self):  # noqa: N802 - http.server's name
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        state = self.server.state
        if url.path == "/__fake__/health":
            return self.reply_json({"status": "ok"})
        if url.path == "/__fake__/operations":
            with state.lock:
                return self.reply_json([asdict(o) for o in state.operations.values()])
        if url.path == SERVICE_PATH:
            text = wsdl_text(self.server.base_url)
            return self.reply(200, text.encode(), "text/xml; charset=utf-8")
        if url.path.startswith("/tpa/services/PaiementSecuriseService_schema"):
            name = url.path.rsplit("/", 1)[1]
            if name in {f"PaiementSecuriseService_schema{i}.xsd" for i in (1, 2, 3)}:
                return self.reply(200, (RESOURCES / name).read_bytes(), "text/xml")
        if url.path == PAGE_PATH:
            idop = (query.get("idop") or [""])[0]
            with state.lock:
                operation = state.operations.get(idop)
            if operation is None or operation.forgotten:
                return self.page(
                    404,
                    "Paiement introuvable",
                    "<p>Ce paiement est inconnu ou a expiré (un paiement doit être "
                    "fait dans les 15 minutes). Revenez sur le portail pour le "
                    "recommencer.</p>",
                )
            return self.payment_page(operation)
        return self.reply(404, b"not found", "text/plain")

    def do_POST(self):  # noqa: N802
        url = urllib.parse.urlsplit(self.path)
        state = self.server.state
        if url.path == SERVICE_PATH:
            return self.soap(self.body())
        if url.path == PAGE_PATH:
            form = urllib.parse.parse_qs(self.body().decode())
            return self.pay(
                (form.get("idop") or [""])[0], (form.get("choice") or [""])[0]
            )
        data = json.loads(self.body() or b"{}")
        if url.path == "/__fake__/reset":
            state.reset()
            return self.reply_json({"status": "ok"})
        if url.path == "/__fake__/control":
            with state.lock:
                for key, value in data.items():
                    if not hasattr(state.faults, key):
                        return self.reply_json({"error": f"unknown fault {key}"}, 400)
                    setattr(state.faults, key, value)
            return self.reply_json(asdict(state.faults))
        if url.path == "/__fake__/forget":
            with state.lock:
                operation = state.operations.get(data.get("idop", ""))
                if operation is None:
                    return self.reply_json({"error": "unknown idop"}, 404)
                operation.forgotten = True
            return self.reply_json({"status": "ok"})
        if url.path == "/__fake__/notify":
            idop = data.get("idop", "")
            if data.get("url"):  # forged: anyone who guesses the URL
                return self.reply_json({"status": send_notification(data["url"], idop)})
            with state.lock:
                operation = state.operations.get(idop)
                if idop in state.held:
                    state.held.remove(idop)
            if operation is None:
                return self.reply_json({"error": "unknown idop"}, 404)
            return self.reply_json(
                {"status": self.server.notify(operation, force=True)}
            )
        return self.reply(404, b"not found", "text/plain")

    # -- SOAP
    def soap(self, raw: bytes) -> None:
        faults = self.server.state.faults
        if faults.latency:
            time.sleep(faults.latency)
        try:
            envelope_ = ET.fromstring(raw)  # noqa: S314 - a test double on loopback
            body = envelope_.find(f"{{{SOAP_NS}}}Body")
            call = next(iter(body))
        except (ET.ParseError, StopIteration, TypeError):
            return self.reply(400, fault("P0", "requête illisible"), "text/xml")
        name = call.tag.rsplit("}", 1)[-1]
        arg = call.find("arg0")
        fields = {
            child.tag: (child.text or "") for child in (arg if arg is not None else [])
        }
        handler = {
            "creerPaiementSecurise": self.create,
            "recupererDetailPaiementSecurise": self.detail,
            "recupererDetailClient": self.client_detail,
        }.get(name)
        if handler is None:
            return self.reply(
                500, fault("P0", f"opération inconnue {name}"), "text/xml"
            )
        status, payload = handler(fields)
        self.reply(status, payload, "text/xml; charset=utf-8")

    def create(self, fields: dict[str, str]):
        missing = [
            key
            for key in (
                "numcli",
                "exer",
                "refdet",
                "montant",
                "mel",
                "urlnotif",
                "urlredirect",
                "saisie",
            )
            if not fields.get(key)
        ]
        if missing:
            return 500, fault("R3", "champs manquants : " + ", ".join(missing))
        if not (fields["numcli"].isdigit() and len(fields["numcli"]) == 6):
            return 500, fault("R1", "numcli invalide")
        montant = fields["montant"]
        if not montant.isdigit() or not 100 <= int(montant) <= 10_000_000:
            return 500, fault("R4", "montant invalide")
        refdet = fields["refdet"]
        if not (refdet.isalnum() and 6 <= len(refdet) <= 30):
            return 500, fault("R5", "refdet invalide")
        if fields["saisie"] not in {"T", "X", "W"}:
            return 500, fault("R6", "saisie invalide")
        idop = secrets.token_hex(16)
        operation = Operation(
            idop=idop,
            **{
                key: fields.get(key, "")
                for key in (
                    "numcli",
                    "exer",
                    "refdet",
                    "montant",
                    "mel",
                    "urlnotif",
                    "urlredirect",
                    "objet",
                    "saisie",
                )
            },
        )
        state = self.server.state
        with state.lock:
            state.operations[idop] = operation
            early = state.faults.notify_early
        if early:
            threading.Thread(
                target=send_notification, args=(operation.urlnotif, idop), daemon=True
            ).start()
        return 200, answer("creerPaiementSecurise", {"idOp": idop})

    def detail(self, fields: dict[str, str]):
        state = self.server.state
        with state.lock:
            operation = state.operations.get(fields.get("idOp", ""))
            delta = state.faults.amount_delta
        if operation is None or operation.forgotten:
            return 500, fault("P1", "IdOp incorrect")
        if not operation.resultrans:
            return 500, fault("P5", "Transaction non finalisée")
        montant = str(int(operation.montant) + delta)
        return 200, answer(
            "recupererDetailPaiementSecurise",
            {
                "dattrans": operation.dattrans,
                "exer": operation.exer,
                "heurtrans": operation.heurtrans,
                "idOp": operation.idop,
                "mel": operation.mel,
                "montant": montant,
                "numauto": operation.numauto,
                "numcli": operation.numcli,
                "objet": operation.objet,
                "refdet": operation.refdet,
                "resultrans": operation.resultrans,
                "saisie": operation.saisie,
            },
        )

    def client_detail(self, fields: dict[str, str]):
        numcli = fields.get("numCli", "")
        if not (numcli.isdigit() and len(numcli) == 6):
            return 500, fault("P0", "numcli inconnu")
        return 200, answer(
            "recupererDetailClient",
            {"libelleN1": "RÉGIE DE DÉMONSTRATION", "numcli": numcli},
        )

    # -- payment page
    def page(self, status: int, title: str, content: str) -> None:
        body = (
            '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)} — PayFiP (simulation)</title>"
            f"<style>{PAGE_STYLE}</style></head><body>"
            "<header><p><strong>PayFiP</strong> — paiement des services publics locaux"
            ' <span class="tag">simulation</span></p></header>'
            f"<main><h1>{html.escape(title)}</h1>{content}</main></body></html>"
        ).encode()
        self.reply(status, body, "text/html; charset=utf-8")

    def payment_page(self, operation: Operation) -> None:
        if operation.resultrans:
            return self.page(
                409,
                "Paiement déjà terminé",
                "<p>Ce paiement est déjà terminé : il ne peut pas être refait.</p>"
                f'<p><a href="{html.escape(return_url(operation))}">Retourner sur le '
                "portail pour voir ce qu'il est devenu</a></p>",
            )
        euros = f"{int(operation.montant) / 100:,.2f}".replace(",", "\u202f")
        euros = euros.replace(".", ",")
        buttons = "".join(
            f'<li><button type="submit" name="choice" value="{code}">{label}'
            "</button></li>"
            for code, label in RESULTS.items()
        )
        objet = (
            f"<dt>Objet</dt><dd>{html.escape(operation.objet)}</dd>"
            if operation.objet
            else ""
        )
        self.page(
            200,
            f"Payer {euros} €",
            '<dl class="facts"><dt>Bénéficiaire</dt><dd>RÉGIE DE DÉMONSTRATION '
            f"(client n° {html.escape(operation.numcli)})</dd>{objet}"
            f"<dt>Référence</dt><dd>{html.escape(operation.refdet)}</dd>"
            f"<dt>Montant</dt><dd><strong>{euros} €</strong></dd></dl>"
            '<p class="note">Page de démonstration : aucune carte n\'est demandée et '
            "aucun argent n'est débité. Choisissez ci-dessous ce que répond la banque ; "
            "vous reviendrez ensuite sur le portail, qui vous dira où en est le "
            "paiement.</p>"
            f'<form method="post" action="{PAGE_PATH}">'
            f'<input type="hidden" name="idop" value="{html.escape(operation.idop)}">'
            "<fieldset><legend>Résultat du paiement</legend>"
            f'<ul class="choices">{buttons}</ul></fieldset></form>',
        )

    def pay(self, idop: str, choice: str) -> None:
        state = self.server.state
        with state.lock:
            operation = state.operations.get(idop)
            if operation is None or operation.forgotten or choice not in RESULTS:
                operation = None
            elif not operation.resultrans:
                now = datetime.now(PARIS)
                operation.resultrans = choice
                operation.dattrans = now.strftime("%d%m%Y")
                operation.heurtrans = now.strftime("%H%M")
                if choice in {"P", "V"}:
                    operation.numauto = f"{secrets.randbelow(1_000_000):06d}"
        if operation is None:
            return self.page(
                400,
                "Paiement impossible",
                "<p>Ce paiement est inconnu ou a expiré, ou le choix envoyé n'existe "
                "pas. Revenez sur le portail pour recommencer le paiement.</p>",
            )
        self.server.notify(operation)
        self.reply(
            303, b"", "text/plain", headers=[("Location", return_url(operation))]
        )


class FakePayFiPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, Handler)
        self.state = State()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def notify(self, operation: Operation, force: bool = False) -> int:
        """Notify ``urlnotif`` (twice under ``notify_twice``, at once), unless held."""
        state = self.state
        with state.lock:
            if state.faults.hold_notifications and not force:
                state.held.append(operation.idop)
                return 0
            times = 2 if state.faults.notify_twice else 1
            operation.notifications.append(time.time())
        if times == 1:
            return send_notification(operation.urlnotif, operation.idop)
        results: list[int] = []
        threads = [
            threading.Thread(
                target=lambda: results.append(
                    send_notification(operation.urlnotif, operation.idop)
                )
            )
            for _ in range(times)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return max(results)


def create_server(host: str = "127.0.0.1", port: int = 0) -> FakePayFiPServer:
    return FakePayFiPServer((host, port))
