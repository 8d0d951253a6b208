"""French typography the portal shows everywhere: dates with "1er" for the first day of
a month, and file sizes in the units French readers know (Ko, Mo, Go)."""

from __future__ import annotations

from django.utils.formats import date_format, number_format

UNESCAPED_DAY = "j"


def french_date(value, format_string: str = "j F Y") -> str:
    """`value` formatted like Django's `date` filter, with "1er" for the first day of a
    month ("1er septembre 2026", never "1 septembre 2026")."""
    if value in (None, ""):
        return ""
    if getattr(value, "day", None) == 1:
        format_string = _ordinal_first_day(format_string)
    return date_format(value, format_string)


def _ordinal_first_day(format_string: str) -> str:
    """Follow each unescaped `j` (day of the month) with an escaped "er"."""
    out, escaped = [], False
    for char in format_string:
        out.append(char)
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == UNESCAPED_DAY:
            out.append("\\e\\r")
    return "".join(out)


_UNITS = [(1024**3, "Go"), (1024**2, "Mo"), (1024, "Ko")]


def file_size(size) -> str:
    """A size in bytes as French readers write it: "3,4 Mo", "512 Ko", "120 octets"
    (binary multiples, as operating systems show them, with the French unit names)."""
    try:
        size = int(size)
    except (TypeError, ValueError):
        return ""
    for factor, unit in _UNITS:
        if size >= factor:
            amount = size / factor
            places = 0 if amount >= 100 or amount.is_integer() else 1
            return f"{number_format(round(amount, places), places)}\u00a0{unit}"
    return f"{size}\u00a0octet{'s' if size > 1 else ''}"
