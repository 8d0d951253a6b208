"""FranceConnect's pivot identity as a guardian's civil status, certified."""

from __future__ import annotations

import datetime
import unicodedata
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from family_portal.models import Guardian

GENDERS = {"male": "M", "female": "F"}
FRANCE = "99100"


@dataclass(frozen=True)
class PivotIdentity:
    sub: str
    birth_name: str
    usage_name: str
    first_names: tuple[str, ...]
    sex: str
    birth_date: datetime.date
    birth_commune_code: str
    birth_country_code: str
    email: str

    @classmethod
    def from_claims(cls, claims: dict) -> PivotIdentity:
        """Raises ValueError when the claims are not a whole pivot identity."""
        try:
            names = claims.get("given_name_array") or str(claims["given_name"]).split()
            sex = GENDERS[str(claims["gender"]).lower()]
            birth_date = datetime.date.fromisoformat(str(claims["birthdate"]))
            country = str(claims.get("birthcountry") or FRANCE)
            return cls(
                sub=str(claims["sub"]),
                birth_name=str(claims["family_name"]).strip(),
                usage_name=str(claims.get("preferred_username") or "").strip(),
                first_names=tuple(str(name).strip() for name in names if name)[:3],
                sex=sex,
                birth_date=birth_date,
                birth_commune_code=str(claims.get("birthplace") or "")
                if country == FRANCE
                else "",
                birth_country_code=country,
                email=str(claims.get("email") or ""),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError("not a FranceConnect pivot identity") from error

    def civil_status(self) -> dict:
        """The guardian's CERTIFIED_FIELDS."""
        names = list(self.first_names) + ["", "", ""]
        abroad = self.birth_country_code != FRANCE
        return {
            "birth_name": self.birth_name,
            "usage_name": self.usage_name
            if _folded(self.usage_name) != _folded(self.birth_name)
            else "",
            "first_name": names[0],
            "second_first_name": names[1],
            "third_first_name": names[2],
            "sex": self.sex,
            "birth_date": self.birth_date,
            "born_abroad": abroad,
            "birth_commune_code": "" if abroad else self.birth_commune_code,
            "birth_country_code": self.birth_country_code if abroad else "",
        }


def _folded(value: str) -> str:
    text = unicodedata.normalize("NFKD", value or "")
    text = "".join(char for char in text if not unicodedata.combining(char))
    return " ".join(text.replace("-", " ").replace("'", " ").split()).casefold()


def certify(guardian: Guardian, identity: PivotIdentity) -> Guardian:
    """Write the pivot identity on the guardian and mark it certified."""
    for name, value in identity.civil_status().items():
        setattr(guardian, name, value)
    guardian.certified_at = timezone.now()
    guardian.franceconnect_sub = identity.sub
    if not guardian.email and identity.email:
        guardian.email = identity.email
    guardian.save()
    return guardian


def guardian_of(
    family, identity: PivotIdentity, user_email: str = ""
) -> Guardian | None:
    """The family's guardian this FranceConnect person is: already certified with this
    subject, else the one with the same birth date and birth (or usage) name, else the
    one with the person's e-mail address."""
    guardians = list(family.guardians.all())
    for guardian in guardians:
        if guardian.franceconnect_sub and guardian.franceconnect_sub == identity.sub:
            return guardian
    names = {_folded(identity.birth_name), _folded(identity.usage_name)} - {""}
    for guardian in guardians:
        if guardian.birth_date == identity.birth_date and (
            {_folded(guardian.birth_name), _folded(guardian.usage_name)} & names
        ):
            return guardian
    emails = {email.casefold() for email in (identity.email, user_email) if email}
    for guardian in guardians:
        if guardian.email and guardian.email.casefold() in emails:
            return guardian
    return None


@transaction.atomic
def certify_family_guardian(family, identity: PivotIdentity, user_email: str = ""):
    """Certify the guardian this person is in the family; None when none matches (the
    parent's own entries are then left as they are)."""
    guardian = guardian_of(family, identity, user_email)
    if guardian is None:
        return None
    return certify(guardian, identity)
