"""Typed errors of the quotient familial lookup, each with a French message for parents."""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    """What went wrong, from the portal's point of view (drives the next step offered)."""

    NOT_IDENTIFIED = "not_identified"
    NO_FILE = "no_file"
    UNAVAILABLE = "unavailable"
    RATE_LIMITED = "rate_limited"
    CONFIGURATION = "configuration"
    INVALID_INPUT = "invalid_input"


# The manual alternative is offered every time (CONTRACT.md, "rules of use").
_ALTERNATIVE = (
    "Vous pouvez aussi transmettre une attestation de quotient familial de la CAF ou "
    "de la MSA, ou votre avis d'imposition, ou choisir le tarif par défaut."
)

MESSAGES: dict[ErrorKind, str] = {
    ErrorKind.NOT_IDENTIFIED: (
        "Nous n'avons pas pu vous identifier auprès de la CAF ou de la MSA. Vérifiez "
        "l'orthographe de votre nom de naissance et de vos prénoms, votre date et votre "
        "lieu de naissance. " + _ALTERNATIVE
    ),
    ErrorKind.NO_FILE: (
        "Aucun dossier CAF ou MSA n'a été trouvé pour cette personne. " + _ALTERNATIVE
    ),
    ErrorKind.UNAVAILABLE: (
        "Le service de la CAF et de la MSA est momentanément indisponible. Réessayez "
        "plus tard : les informations saisies sont conservées. " + _ALTERNATIVE
    ),
    ErrorKind.RATE_LIMITED: (
        "Le service de la CAF et de la MSA reçoit trop de demandes. Réessayez dans "
        "quelques minutes : les informations saisies sont conservées. " + _ALTERNATIVE
    ),
    ErrorKind.CONFIGURATION: (
        "La consultation du quotient familial est momentanément indisponible ; nos "
        "services en ont été avertis. " + _ALTERNATIVE
    ),
    ErrorKind.INVALID_INPUT: "Certaines informations saisies ne sont pas valides.",
}

# valeur == 0: the CAF/MSA could not compute the QF; never a free tariff. It is
# reported with kind NO_FILE (same next step for the parent: a document or the
# default tariff) and reason NOT_COMPUTABLE so that agents can tell it apart.
NOT_COMPUTABLE = "not_computable"
NOT_COMPUTABLE_MESSAGE = (
    "La CAF ou la MSA n'a pas pu calculer de quotient familial pour ce mois. "
    + _ALTERNATIVE
)

FRANCE_CONNECT_SESSION_MESSAGE = (
    "Votre session FranceConnect a expiré ou n'est pas valide. Reconnectez-vous avec "
    "FranceConnect. " + _ALTERNATIVE
)


class QuotientError(Exception):
    """A lookup that did not give a usable quotient familial.

    ``message`` is meant for parents (French). Nothing here ever holds the query
    string, the identity or a token: only the kind, the HTTP status, the API's error
    code, the field at fault and the request id.
    """

    def __init__(
        self,
        kind: ErrorKind,
        message: str | None = None,
        *,
        status: int | None = None,
        code: str | None = None,
        field: str | None = None,
        reason: str | None = None,
        request_id: str | None = None,
        attempts: int = 0,
    ) -> None:
        self.kind = ErrorKind(kind)
        self.message = message or MESSAGES[self.kind]
        self.status = status
        self.code = code
        self.field = field
        self.reason = reason
        self.request_id = request_id
        self.attempts = attempts
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"QuotientError(kind={self.kind.value!r}, status={self.status!r}, "
            f"code={self.code!r}, field={self.field!r}, reason={self.reason!r})"
        )

    def as_dict(self) -> dict:
        """The JSON shape used by the ``qf lookup`` command and the views."""
        data = {
            "kind": self.kind.value,
            "status": self.status,
            "code": self.code,
            "message": self.message,
        }
        if self.field:
            data["field"] = self.field
        if self.reason:
            data["reason"] = self.reason
        if self.request_id:
            data["request_id"] = self.request_id
        return data


class InvalidInput(QuotientError):
    """Local validation failed: raised before any HTTP call; ``field`` names the input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(ErrorKind.INVALID_INPUT, message, field=field)
