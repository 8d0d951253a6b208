"""SIRET check shared by the site settings, the API Particulier client and the fake API.

Plain Python, no Django import: the fake API server runs without Django.
"""

# La Poste has one SIREN for thousands of establishments: their SIRET digits add up to
# a multiple of 5 instead of passing Luhn (the head office, 35600000000048, passes Luhn).
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
    """14 digits passing Luhn, or one of La Poste's establishments."""
    if len(value) != 14 or not value.isascii() or not value.isdigit():
        return False
    if luhn_valid(value):
        return True
    return value.startswith(LA_POSTE_SIREN) and sum(map(int, value)) % 5 == 0
