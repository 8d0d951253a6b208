"""The identifiers of a SEPA direct debit: the debtor's IBAN and BIC (checked with
schwifty), the creditor identifier (ICS) and our mandate references (RUM).

No Django here: the settings import ``creditor_id_problem`` to refuse a bad ICS at
start-up in production. Messages are for parents (French).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from schwifty import BIC, IBAN
from schwifty import exceptions as schwifty_errors

# The European Economic Area: outside it (Switzerland, the United Kingdom, Monaco…) a
# SEPA debit must name the debtor's bank by its BIC.
EEA = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IS IT LI LT LU LV MT NL NO PL PT RO "
    "SE SI SK".split()
)


class InvalidAccount(ValueError):
    """An IBAN or a BIC we cannot debit; the message is for the parent."""


@dataclass(frozen=True)
class Account:
    iban: str  # compact: FR7630006000011234567890189
    bic: str  # "" when neither given nor known


def _compact(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "").upper()


def check_account(iban: str, bic: str = "") -> Account:
    """The IBAN (and the BIC, typed or derived from the IBAN's bank) of an account a
    SEPA direct debit can reach; raises InvalidAccount with a French message."""
    text = _compact(iban)
    if not text:
        raise InvalidAccount("Indiquez l'IBAN du compte à prélever.")
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}", text):
        raise InvalidAccount(
            "Un IBAN commence par deux lettres (le pays, FR pour la France) et deux "
            "chiffres, suivis de lettres et de chiffres : recopiez-le depuis votre RIB."
        )
    try:
        account = IBAN(text)
    except schwifty_errors.InvalidCountryCode:
        raise InvalidAccount(
            f"« {text[:2]} » n'est pas un pays dont la banque délivre des IBAN."
        ) from None
    except schwifty_errors.InvalidLength:
        raise InvalidAccount(
            "Cet IBAN n'a pas le bon nombre de caractères "
            f"({_length_hint(text)}) : un caractère manque ou est en trop."
        ) from None
    except schwifty_errors.InvalidChecksumDigits:
        raise InvalidAccount(
            "Cet IBAN n'est pas valide : sa clé de contrôle ne correspond pas. "
            "Vérifiez chaque caractère (un 0 pris pour un O, un chiffre inversé)."
        ) from None
    except schwifty_errors.SchwiftyException:
        raise InvalidAccount(
            "Cet IBAN n'est pas valide : vérifiez-le sur votre RIB."
        ) from None
    if not account.in_sepa_zone:
        raise InvalidAccount(
            "Ce compte est tenu dans un pays hors de la zone SEPA : le prélèvement "
            "n'est possible que sur un compte d'un pays de la zone SEPA. Payez vos "
            "factures en ligne ou au guichet."
        )
    return Account(
        iban=account.compact, bic=_bic_of(account, _compact(bic), account.country_code)
    )


def _length_hint(text: str) -> str:
    if text.startswith("FR"):
        return f"{len(text)} au lieu de 27 pour un IBAN français"
    return f"{len(text)} caractères"


def _bic_of(account: IBAN, typed: str, country: str) -> str:
    if typed:
        try:
            bic = BIC(typed)
        except schwifty_errors.SchwiftyException:
            raise InvalidAccount(
                "Ce BIC n'est pas valide : il compte 8 ou 11 lettres et chiffres "
                "(par exemple AGRIFRPPXXX). Laissez le champ vide si vous ne le "
                "connaissez pas."
            ) from None
        if bic.country_code != country and not (
            country in {"FR", "MC"} and bic.country_code in {"FR", "MC"}
        ):
            raise InvalidAccount(
                "Ce BIC est celui d'une banque d'un autre pays que celui de l'IBAN : "
                "vérifiez les deux sur votre RIB."
            )
        return str(bic.compact)
    derived = account.bic
    if derived is not None:
        return str(derived.compact)
    if country not in EEA:
        raise InvalidAccount(
            "Pour un compte tenu hors de l'Espace économique européen, indiquez le "
            "BIC de votre banque (il figure sur votre RIB)."
        )
    return ""


def masked_iban(iban: str) -> str:
    """Every character hidden but the last four, in groups of four."""
    hidden = "•" * (len(iban) - 4)
    groups = [hidden[i : i + 4] for i in range(0, len(hidden), 4)]
    return " ".join([*groups, iban[-4:]])


# -- the creditor identifier (ICS, "identifiant créancier SEPA") ------------------------

ICS_PATTERN = re.compile(r"([A-Z]{2})([0-9]{2})([A-Z0-9]{3})([A-Z0-9]{1,28})")


def _mod97(text: str) -> int:
    return int("".join(str(int(char, 36)) for char in text)) % 97


def creditor_id_check_digits(country: str, national_id: str) -> str:
    """ISO 7064 mod 97-10 over the national identifier, the country and "00"
    (the creditor business code is left out), as the EPC defines the creditor id."""
    return f"{98 - _mod97(national_id + country + '00'):02d}"


def creditor_id_problem(value: str) -> str | None:
    """None for a well-formed creditor identifier, else what is wrong (English: it is
    said to whoever configures the server)."""
    text = _compact(value)
    match = ICS_PATTERN.fullmatch(text)
    if match is None:
        return (
            f"{value!r} is not a SEPA creditor identifier (two letters, two check "
            "digits, a three-character business code, the national identifier)"
        )
    country, digits, _business, national = match.groups()
    if country == "FR" and len(national) != 6:
        return f"{value!r}: a French creditor identifier has 13 characters"
    if creditor_id_check_digits(country, national) != digits:
        return f"{value!r}: its check digits are wrong"
    return None


# -- mandate references (RUM) -----------------------------------------------------------

RUM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read over the phone


def new_mandate_reference(family_id: int, signed_on) -> str:
    """A unique mandate reference (at most 35 characters of the SEPA set): ours, the
    family, the day, and a random part; uniqueness is the database's to enforce."""
    suffix = "".join(secrets.choice(RUM_ALPHABET) for _ in range(6))
    return f"PF-{family_id}-{signed_on:%Y%m%d}-{suffix}"
