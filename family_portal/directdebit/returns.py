"""The reason codes of returned SEPA debits (ISO 20022 ExternalStatusReason1Code, as
the EPC's rulebook lists them for R-transactions), in French for agents and families."""

from __future__ import annotations

# code: (label, the mandate can no longer be used)
REASONS: dict[str, tuple[str, bool]] = {
    "AC01": ("Numéro de compte erroné (IBAN invalide)", True),
    "AC04": ("Compte clôturé", True),
    "AC06": ("Compte bloqué", True),
    "AC13": ("Compte d'un client non consommateur", True),
    "AG01": ("Compte n'acceptant pas les prélèvements", True),
    "AG02": ("Code opération invalide", False),
    "AM04": ("Provision insuffisante", False),
    "AM05": ("Prélèvement en double", False),
    "BE05": ("Créancier non reconnu", False),
    "CNOR": ("Banque du créancier non joignable", False),
    "DNOR": ("Banque du débiteur non joignable", False),
    "FF01": ("Fichier ou format invalide", False),
    "MD01": ("Pas de mandat", True),
    "MD02": ("Données du mandat manquantes ou erronées", False),
    "MD06": ("Remboursement demandé par le débiteur", False),
    "MD07": ("Débiteur décédé", True),
    "MS02": ("Refus du débiteur", False),
    "MS03": ("Raison non communiquée", False),
    "RC01": ("BIC erroné", False),
    "RR01": ("Identification du débiteur manquante", False),
    "RR02": ("Nom ou adresse du débiteur manquant", False),
    "RR03": ("Nom ou adresse du créancier manquant", False),
    "RR04": ("Raison réglementaire", False),
    "SL01": ("Service spécifique de la banque du débiteur (opposition)", True),
}

CHOICES = [(code, f"{code} — {label}") for code, (label, _ends) in REASONS.items()]


def label(code: str) -> str:
    return REASONS.get(code, (code, False))[0]


def ends_mandate(code: str) -> bool:
    return REASONS.get(code, ("", False))[1]
