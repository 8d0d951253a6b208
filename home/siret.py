"""SIRET checks shared by the site settings and the API Particulier client (plain Python)."""

# La Poste's establishments share one SIREN whose SIRETs follow their own rule.
LA_POSTE_SIREN = "356000000"


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def is_valid_siret(value: str) -> bool:
    """True for 14 digits passing the Luhn check (or La Poste's digit-sum rule)."""
    if len(value) != 14 or not value.isascii() or not value.isdigit():
        return False
    if value.startswith(LA_POSTE_SIREN) and value != LA_POSTE_SIREN + "00001":
        return sum(int(c) for c in value) % 5 == 0
    return luhn_valid(value)
