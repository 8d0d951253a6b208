"""A typed reader of JSON documents that collects every problem with its path.

Used for ``bareme/1`` documents (``document``) and the billing rules' documents; a value
that does not fit is reported in French and read as ``None``, so reading goes on.

It is also where a document's limits live, whoever sends it (``manage.py bareme`` and
``billing``, the admin's import): ``load_json`` reads the text without ever nesting deeper
than ``LIMITS.depth`` or turning a number of thousands of digits into an int, and
``screen`` refuses, with their paths, what the database would choke on or store cut short:
a NUL character, a number too long, NaN, a text longer than the column it ends in.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .errors import Problem

DECIMAL_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?")
ID_RE = re.compile(r"[A-Za-z0-9_-]+")
MISSING = object()


@dataclass
class Limits:
    """What a document may hold. ``columns`` maps a path pattern (``brackets[].label``,
    ``[]`` for any index) to the length of the database column its value ends in; the
    activities app fills it from its models' fields (``activities.document_columns``),
    so that the two never disagree. Texts elsewhere are held to ``text_length``."""

    depth: int = 16  # a barème is 5 deep: brackets[0].when.child_rank.min
    number_digits: int = 24  # a JSON number literal, sign and point included
    decimal_length: int = 24  # a decimal written as a text ("3.05")
    integer_max: int = 32_767  # ranks and counts
    text_length: int = 500
    columns: dict[str, int] = field(default_factory=dict)


LIMITS = Limits()


class UnreadableDocument(ValueError):
    """A text that is no JSON document, or one nested too deep to read: ``english`` for
    the commands ("FILE is nested deeper…"), ``french`` for the admin."""

    def __init__(self, english: str, french: str) -> None:
        super().__init__(english)
        self.english = english
        self.french = french


class _Oversized:
    """A JSON number literal too long to read, or NaN/Infinity: kept as its text so
    that ``screen`` reports it with its path."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return _shorten(self.text)


def _json_number(convert):
    def read(text: str):
        return _Oversized(text) if len(text) > LIMITS.number_digits else convert(text)

    return read


# The marks of a JSON text's structure, and the rest of a string after its quote.
_MARK_RE = re.compile(r'[\[\]{}"]')
_STRING_REST_RE = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def _check_nesting(text: str) -> None:
    """Count the nesting before ``json.loads`` does it recursively (each character read
    once: strings are skipped whole)."""
    depth = 0
    position = 0
    while (match := _MARK_RE.search(text, position)) is not None:
        mark = match.group()
        position = match.end()
        if mark == '"':
            rest = _STRING_REST_RE.match(text, position)
            if rest is None:
                return  # an unterminated string: json.loads says where
            position = rest.end()
        elif mark in "[{":
            depth += 1
            if depth > LIMITS.depth:
                line = text.count("\n", 0, match.start()) + 1
                column = match.start() - text.rfind("\n", 0, match.start())
                raise UnreadableDocument(
                    f"is nested deeper than {LIMITS.depth} levels (line {line}, "
                    f"column {column}).",
                    f"ce document imbrique plus de {LIMITS.depth} niveaux d'objets "
                    f"ou de listes (ligne {line}, colonne {column}).",
                )
        else:
            depth -= 1


def load_json(data: bytes | str) -> Any:
    """Read a JSON text within the limits; raise ``UnreadableDocument``."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise UnreadableDocument(
                f"is not UTF-8 text ({error}).",
                f"ce n'est pas un document JSON lisible (texte non UTF-8 : {error}).",
            ) from None
    _check_nesting(data)
    try:
        return json.loads(
            data,
            parse_int=_json_number(int),
            parse_float=_json_number(float),
            parse_constant=_Oversized,
        )
    except json.JSONDecodeError as error:
        raise UnreadableDocument(
            f"is not a JSON document: {error}.",
            f"ce n'est pas un document JSON lisible ({error}).",
        ) from None


def _pattern(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path)


def _too_long(path: str, length: int, limit: int) -> Problem:
    return Problem(
        "too_long",
        path,
        f"texte de {length} caractères : {limit} au plus.",
        english=f"{path or 'the document'}: {length} characters, at most {limit}",
    )


def screen(document: Any) -> list[Problem]:
    """What the document holds beyond ``LIMITS``, each with its path (iteratively:
    even a document built in Python and nested a thousand deep gives a problem, not a
    RecursionError)."""
    problems: list[Problem] = []
    stack: list[tuple[Any, str, int]] = [(document, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        limit = LIMITS.columns.get(_pattern(path))
        if isinstance(value, (dict, list)) and depth > LIMITS.depth:
            problems.append(
                Problem(
                    "too_deep",
                    path,
                    f"imbrique plus de {LIMITS.depth} niveaux d'objets ou de listes.",
                    english=f"{path or 'the document'}: nested deeper than "
                    f"{LIMITS.depth} levels",
                )
            )
        elif isinstance(value, dict):
            for key, item in value.items():
                key = str(key)
                item_path = f"{path}.{key}" if path else key
                if "\x00" in key or len(key) > LIMITS.text_length:
                    shown = _shorten(key.replace("\x00", "\\u0000"))
                    problems.append(
                        Problem(
                            "bad_key",
                            path,
                            f"clé invalide « {shown} » (caractère NUL ou plus de "
                            f"{LIMITS.text_length} caractères).",
                            english=f"{path or 'the document'}: invalid key {shown!r}",
                        )
                    )
                    continue
                stack.append((item, item_path, depth + 1))
        elif isinstance(value, list):
            texts = [item for item in value if isinstance(item, str)]
            joined = len(", ".join(texts))
            if limit is not None and joined > limit:
                problems.append(_too_long(path, joined, limit))
            stack.extend(
                (item, f"{path}[{index}]", depth + 1)
                for index, item in reversed(list(enumerate(value)))
            )
        elif isinstance(value, str):
            if "\x00" in value:
                problems.append(
                    Problem(
                        "nul_character",
                        path,
                        "contient un caractère NUL (\\u0000), interdit.",
                        english=f"{path}: contains a NUL character (\\u0000)",
                    )
                )
            limit = LIMITS.text_length if limit is None else limit
            if len(value) > limit:
                problems.append(_too_long(path, len(value), limit))
        elif isinstance(value, _Oversized) or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            text = value.text if isinstance(value, _Oversized) else repr(value)
            if len(text) > LIMITS.number_digits:
                french = f"nombre de {len(text)} caractères : {LIMITS.number_digits}"
                french += " au plus."
                english = f"a number of {len(text)} characters, at most "
                english += str(LIMITS.number_digits)
            else:
                french = f"« {text} » n'est pas un nombre."
                english = f"{text} is not a number"
            problems.append(
                Problem("number_too_long", path, french, english=f"{path}: {english}")
            )
    return sorted(problems, key=lambda problem: problem.path)


def _shorten(text: str, keep: int = 20) -> str:
    return text if len(text) <= keep else f"{text[:keep]}…"


class _Reader:
    """Collects the problems met while reading, each with its path in the document."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, code: str, path: str, message: str, english: str = "") -> None:
        self.problems.append(Problem(code, path, message, english=english))

    def screen(self, document: Any) -> bool:
        """Record what the document holds beyond the limits; whether it is within."""
        problems = screen(document)
        self.problems.extend(problems)
        return not problems

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
        if isinstance(value, str) and len(value) > LIMITS.decimal_length:
            self.problem(
                "too_long",
                path,
                f"nombre de {len(value)} caractères : {LIMITS.decimal_length} au plus.",
                english=f"{path}: a number of {len(value)} characters, at most "
                f"{LIMITS.decimal_length}",
            )
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
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not minimum <= value <= LIMITS.integer_max
        ):
            self.problem(
                "type",
                path,
                f"doit être un nombre entier entre {minimum} et {LIMITS.integer_max}.",
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
