"""A typed reader of JSON documents that collects every problem with its path.

Used for ``bareme/1`` documents (``document``) and the billing rules' documents; a value
that does not fit is reported in French and read as ``None``, so reading goes on.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from .errors import Problem

DECIMAL_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?")
ID_RE = re.compile(r"[A-Za-z0-9_-]+")
MISSING = object()


class _Reader:
    """Collects the problems met while reading, each with its path in the document."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, code: str, path: str, message: str) -> None:
        self.problems.append(Problem(code, path, message))

    def mapping(
        self,
        value: Any,
        path: str,
        required: tuple[str, ...] = (),
        optional: tuple[str, ...] = (),
    ) -> dict | None:
        if not isinstance(value, dict):
            self.problem("type", path, "doit être un objet JSON ({…}).")
            return None
        for key in required:
            if key not in value:
                self.problem(
                    "missing_key", _join(path, key), "champ obligatoire manquant."
                )
        allowed = set(required) | set(optional)
        for key in value:
            if key not in allowed:
                self.problem(
                    "unknown_key",
                    _join(path, str(key)),
                    f"clé inconnue « {key} » (clés permises : {', '.join(sorted(allowed))}).",
                )
        return value

    def text(self, value: Any, path: str, nullable: bool = False) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem("type", path, "doit être un texte non vide.")
            return None
        return value

    def choice(self, value: Any, path: str, choices: tuple[str, ...]) -> str | None:
        if value not in choices:
            self.problem(
                "unknown_value",
                path,
                f"valeur inconnue {_show(value)} (valeurs permises : "
                f"{', '.join(choices)}).",
            )
            return None
        return value

    def decimal(self, value: Any, path: str, nullable: bool = False) -> Decimal | None:
        if value is None and nullable:
            return None
        if isinstance(value, str) and DECIMAL_RE.fullmatch(value):
            return Decimal(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            hint = "un nombre JSON n'est pas permis, écrivez-le entre guillemets"
        elif isinstance(value, str) and "," in value:
            hint = "le séparateur décimal est le point"
        else:
            hint = "valeur invalide"
        self.problem(
            "type",
            path,
            f"doit être un nombre décimal écrit comme un texte, par exemple « 3.05 » "
            f"({hint} : {_show(value)}).",
        )
        return None

    def integer(self, value: Any, path: str, minimum: int = 1) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.problem(
                "type", path, f"doit être un nombre entier au moins égal à {minimum}."
            )
            return None
        return value

    def boolean(self, value: Any, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.problem("type", path, "doit valoir true ou false.")
            return None
        return value

    def iso_date(self, value: Any, path: str, nullable: bool = False) -> date | None:
        if value is None and nullable:
            return None
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(
            "type", path, f"doit être une date AAAA-MM-JJ valide ({_show(value)})."
        )
        return None

    def word_list(
        self, value: Any, path: str, choices: tuple[str, ...] | None = None
    ) -> tuple[str, ...] | None:
        if not isinstance(value, list) or not value:
            self.problem("type", path, "doit être une liste non vide.")
            return None
        words = []
        for index, item in enumerate(value):
            item_path = f"{path}[{index}]"
            word = (
                self.choice(item, item_path, choices)
                if choices
                else self.text(item, item_path)
            )
            if word is not None:
                words.append(word)
        return tuple(words) if len(words) == len(value) else None


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _show(value: Any) -> str:
    return "absente" if value is MISSING else f"« {value} »"
