"""The people of the local FranceConnect: pivot identities matching staging cases of the
fake API Particulier's FranceConnect route (qf_connector/fakeapi/staging), and one the
CAF does not know.

``sub`` plays FranceConnect's subject (a pseudonym per service provider); the claims are
FranceConnect's pivot identity (given_name holds every first name, space-separated, and
given_name_array each one; preferred_username is the usage name; birthplace the COG code
of the commune of birth, empty when born abroad; birthcountry the COG code of the
country).
"""

from __future__ import annotations

from typing import Any

# Pierre MERCIER: staging case france_connect_200_cnaf_1_parent_3_mineurs (CNAF, three
# children born 2018, 2020 and 2022). The demo's FranceConnect parent (make demo).
MERCIER: dict[str, Any] = {
    "sub": "fc-demo-mercier-pierre",
    "given_name": "Pierre",
    "given_name_array": ["Pierre"],
    "family_name": "MERCIER",
    "preferred_username": "DUBOIS",
    "gender": "male",
    "birthdate": "1969-03-17",
    "birthplace": "95277",
    "birthcountry": "99100",
    "email": "pierre.mercier@example.org",
}

# Elsa PLACARD: staging case france_connect_200_msa_1_parent_1_mineur_2_majeurs (MSA).
PLACARD: dict[str, Any] = {
    "sub": "fc-demo-placard-elsa",
    "given_name": "Elsa",
    "given_name_array": ["Elsa"],
    "family_name": "PLACARD",
    "preferred_username": "DUBOIS",
    "gender": "female",
    "birthdate": "1987-04-13",
    "birthplace": "59226",
    "birthcountry": "99100",
    "email": "elsa.placard@example.org",
}

# Camille LEROUX: no staging case names her, so API Particulier answers 404 37003
# (no CAF or MSA file), like the fake API for every identity it does not know.
LEROUX: dict[str, Any] = {
    "sub": "fc-demo-leroux-camille",
    "given_name": "Camille Marie",
    "given_name_array": ["Camille", "Marie"],
    "family_name": "LEROUX",
    "preferred_username": "",
    "gender": "female",
    "birthdate": "1992-05-05",
    "birthplace": "45234",
    "birthcountry": "99100",
    "email": "camille.leroux@example.org",
}

IDENTITIES: tuple[dict[str, Any], ...] = (MERCIER, PLACARD, LEROUX)

# Which claims each scope reveals (FranceConnect's scopes, one per claim, and
# identite_pivot for all of the pivot identity).
PIVOT_CLAIMS = (
    "given_name",
    "given_name_array",
    "family_name",
    "gender",
    "birthdate",
    "birthplace",
    "birthcountry",
)
SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "identite_pivot": PIVOT_CLAIMS,
    "profile": (*PIVOT_CLAIMS, "preferred_username"),
    "given_name": ("given_name", "given_name_array"),
    "family_name": ("family_name",),
    "gender": ("gender",),
    "birthdate": ("birthdate",),
    "birthplace": ("birthplace",),
    "birthcountry": ("birthcountry",),
    "preferred_username": ("preferred_username",),
    "email": ("email",),
}


def claims_for(identity: dict[str, Any], scopes: set[str]) -> dict[str, Any]:
    """The userinfo answer for this person and these granted scopes."""
    names = {name for scope in scopes for name in SCOPE_CLAIMS.get(scope, ())}
    claims = {"sub": identity["sub"]}
    claims.update({name: identity[name] for name in names if name in identity})
    return claims


def label(identity: dict[str, Any]) -> str:
    """How the choice page names a person."""
    return f"{identity['given_name']} {identity['family_name']}"
