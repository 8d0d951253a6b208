"""French communes and birth countries with their INSEE codes, for forms and residence checks.

Plain Python, no Django: the data files in home/data are read on first use, once per process,
and indexed in memory (see home/data/README.md for their source and licence).
"""

from __future__ import annotations

import csv
import difflib
import gzip
import io
import re
import sys
import threading
import unicodedata
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Generic, TypeVar

DATA_DIR = Path(__file__).resolve().parent / "data"
COMMUNES_FILE = DATA_DIR / "communes.tsv.gz"
COUNTRIES_FILE = DATA_DIR / "pays.tsv"

# API Particulier's rule for `codeCogInseeCommuneNaissance`.
COMMUNE_CODE_RE = re.compile(r"^([013-9]\d|2[AB1-9])\d{3}$")
COUNTRY_CODE_RE = re.compile(r"^99\d{3}$")
FRANCE_CODE = "99100"

DEFAULT_LIMIT = 10


class CommuneKind(StrEnum):
    """INSEE's TYPECOM values."""

    COMMUNE = "COM"
    ARRONDISSEMENT = "ARM"
    DELEGUEE = "COMD"
    ASSOCIEE = "COMA"


# When several entries share a code (a commune nouvelle and the commune déléguée that kept the
# same code), the current commune is the one a code stands for.
_KIND_RANK = {
    CommuneKind.COMMUNE: 0,
    CommuneKind.ARRONDISSEMENT: 1,
    CommuneKind.DELEGUEE: 2,
    CommuneKind.ASSOCIEE: 3,
}


@dataclass(frozen=True, slots=True)
class Commune:
    code: str
    kind: CommuneKind
    name: str
    department: str
    postcodes: tuple[str, ...]
    # The commune an arrondissement belongs to, or the commune nouvelle that absorbed a commune
    # déléguée/associée; empty for a current commune.
    parent_code: str = ""
    population: int | None = None

    @property
    def label(self) -> str:
        """What a parent reads and types back: `Orléans (45)`."""
        return f"{self.name} ({self.department})"

    @property
    def is_current(self) -> bool:
        """A commune or arrondissement of today (not one merged into a commune nouvelle)."""
        return self.kind in (CommuneKind.COMMUNE, CommuneKind.ARRONDISSEMENT)


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    name: str
    aliases: tuple[str, ...] = ()
    # False for a state that no longer exists (RDA, Tchécoslovaquie…), kept for birth places.
    current: bool = True

    @property
    def label(self) -> str:
        return self.name


T = TypeVar("T", Commune, Country)


@dataclass(frozen=True, slots=True)
class Ambiguous(Generic[T]):
    """Several places answer the description; the caller asks the parent to pick one."""

    candidates: tuple[T, ...]

    @property
    def departments(self) -> tuple[str, ...]:
        return tuple(
            sorted({c.department for c in self.candidates if isinstance(c, Commune)})
        )


@dataclass(frozen=True, slots=True)
class NotFound(Generic[T]):
    """No place answers the description; `suggestions` are near matches, best first."""

    suggestions: tuple[T, ...] = ()


# ---------------------------------------------------------------------------------------------
# Normalisation


_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
# Letters that Unicode does not decompose into a base letter and an accent.
_LIGATURES = str.maketrans(
    {"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "ł": "l", "đ": "d", "ı": "i"}
)
_SEPARATORS = re.compile(r"[\W_]+")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
# La Poste's address lines shorten "sur" to "S/" ("CHALON S/ SAONE").
_SUR = re.compile(r"\bs/")


def normalise(name: str) -> str:
    """Fold case, accents and punctuation so that spellings of one name compare equal.

    `Saint-Étienne`, `ST ETIENNE` and `saint etienne` all give `saint etienne`;
    `Sainte-Foy`, `Ste Foy` give `sainte foy`; `L'Haÿ-les-Roses` gives `l hay les roses`.
    """
    text = _SUR.sub("sur ", name.casefold().translate(_LIGATURES))
    # Punctuation of any script (’, –, ·) separates words; accented letters stay letters.
    text = _SEPARATORS.sub(" ", text)
    # Decomposed, an accented letter is its base letter plus marks that ASCII drops.
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = _NOT_ALNUM.sub(" ", text).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


_ARRONDISSEMENT_NAME = re.compile(
    r"^(?P<city>.+) (?P<number>\d+)(?:er|e|eme) arrondissement$"
)


def _name_keys(kind: CommuneKind, name: str) -> list[str]:
    """The normalised name, plus the short forms of arrondissements (`paris 15`, `lyon 03`)."""
    key = normalise(name)
    keys = [key]
    if kind is CommuneKind.ARRONDISSEMENT and (
        match := _ARRONDISSEMENT_NAME.match(key)
    ):
        city, number = match["city"], int(match["number"])
        ordinal = "1er" if number == 1 else f"{number}e"
        keys += [
            f"{city} {number}",
            f"{city} {number:02d}",
            f"{city} {ordinal}",
            f"{city} {number}eme",
        ]
    return list(dict.fromkeys(keys))


# ---------------------------------------------------------------------------------------------
# Text index shared by communes and countries

_Item = TypeVar("_Item")
_ARTICLE = re.compile(r"^(?:le|la|les|l) (?=\S)")


def _prefix_range(sorted_keys: list[str], prefix: str) -> range:
    # Every key starting with `prefix` sorts between it and `prefix` + the highest character.
    return range(
        bisect_left(sorted_keys, prefix), bisect_left(sorted_keys, prefix + "\uffff")
    )


class _NameIndex(Generic[_Item]):
    """Exact, prefix and word-prefix look-ups over normalised names, with bisect on sorted keys.

    `keys_of` gives an item's normalised names; each also counts without its leading article
    for prefix matches, so that `mans` finds Le Mans among the names that start with it.
    """

    def __init__(
        self, items: Sequence[_Item], keys_of: Callable[[_Item], Iterable[str]]
    ):
        self.items = items
        self.exact: dict[str, list[int]] = defaultdict(list)
        self._tokens: list[tuple[tuple[str, ...], ...]] = []
        keys: list[tuple[str, int]] = []
        words: list[tuple[str, int]] = []
        for position, item in enumerate(items):
            item_keys = list(keys_of(item))
            # Interned, the few thousand distinct words are stored once, not per name.
            tokens = tuple(tuple(map(sys.intern, key.split())) for key in item_keys)
            self._tokens.append(tokens)
            for key, key_tokens in zip(item_keys, tokens, strict=True):
                self.exact[key].append(position)
                keys.append((key, position))
                bare = _ARTICLE.sub("", key, count=1)
                if bare != key:
                    keys.append((bare, position))
                words += ((word, position) for word in set(key_tokens))
        keys.sort()
        words.sort()
        self._keys = [key for key, _ in keys]
        self._key_items = [position for _, position in keys]
        self._words = [word for word, _ in words]
        self._word_items = [position for _, position in words]

    def has_prefix(self, query: str) -> bool:
        return bool(_prefix_range(self._keys, query))

    def matches(self, query: str) -> dict[int, int]:
        """Item position → match rank (0 exact name, 1 name starts with, 2 words start with)."""
        ranks: dict[int, int] = {}
        if not query:
            return ranks
        for index in _prefix_range(self._keys, query):
            position = self._key_items[index]
            rank = 0 if position in self.exact.get(query, ()) else 1
            if rank < ranks.get(position, 3):
                ranks[position] = rank
        tokens = query.split()
        # Walk the words of the most selective token only, then check the others.
        ranges = [_prefix_range(self._words, token) for token in tokens]
        narrowest = min(ranges, key=len)
        for index in narrowest:
            position = self._word_items[index]
            if position not in ranks and (
                len(tokens) == 1
                or any(_words_match(tokens, words) for words in self._tokens[position])
            ):
                ranks[position] = 2
        return ranks

    def close_to(self, query: str, count: int) -> dict[int, int]:
        """Names spelt almost like the query (a typo): item position → closeness rank."""
        if len(query) < 4:
            return {}
        # Typos rarely hit the first letters; comparing within them keeps this cheap.
        span = _prefix_range(self._keys, query[:2])
        keys = list(dict.fromkeys(self._keys[index] for index in span))
        close = difflib.get_close_matches(query, keys, n=count, cutoff=0.8)
        ranks: dict[int, int] = {}
        for rank, key in enumerate(close):
            for position in self.exact.get(key, ()):
                ranks.setdefault(position, rank)
        return ranks


def _words_match(tokens: Sequence[str], words: Sequence[str]) -> bool:
    """Each token starts a distinct word of the name, in order (`st denis` → `saint denis`)."""
    position = 0
    for token in tokens:
        while position < len(words) and not words[position].startswith(token):
            position += 1
        if position == len(words):
            return False
        position += 1
    return True


# ---------------------------------------------------------------------------------------------
# Loading, once per process


class _Data:
    def __init__(self, communes: list[Commune], countries: list[Country]):
        self.communes = tuple(communes)
        by_code: dict[str, Commune] = {}
        for commune in self.communes:
            best = by_code.get(commune.code)
            if best is None or _KIND_RANK[commune.kind] < _KIND_RANK[best.kind]:
                by_code[commune.code] = commune
        self.commune_by_code = by_code
        self.commune_names = _NameIndex(
            self.communes, lambda c: _name_keys(c.kind, c.name)
        )
        by_postcode: dict[str, list[Commune]] = defaultdict(list)
        for commune in self.communes:
            for postcode in commune.postcodes:
                by_postcode[postcode].append(commune)
        self.by_postcode = {
            postcode: tuple(sorted(found, key=_commune_rank))
            for postcode, found in by_postcode.items()
        }
        # Communes déléguées and associées have no postcode of their own: their commune's
        # serve them, which matters when an address still carries the former commune's name.
        served: dict[str, list[Commune]] = defaultdict(list)
        for commune in self.communes:
            postcodes = commune.postcodes
            if not postcodes and commune.parent_code in by_code:
                postcodes = by_code[commune.parent_code].postcodes
            for postcode in postcodes:
                served[postcode].append(commune)
        self.served_by_postcode = {key: tuple(value) for key, value in served.items()}
        arrondissements: dict[str, list[Commune]] = defaultdict(list)
        codes_by_name: dict[tuple[str, str], set[str]] = defaultdict(set)
        for commune in self.communes:
            if commune.kind is CommuneKind.ARRONDISSEMENT:
                arrondissements[commune.parent_code].append(commune)
            codes_by_name[normalise(commune.name), commune.department].add(commune.code)
        self.arrondissements = {
            code: tuple(sorted(rows, key=lambda c: c.code))
            for code, rows in arrondissements.items()
        }
        # (name, department) pairs that `Name (dd)` does not tell apart (Bernwiller, 68).
        self.homonyms = frozenset(
            key for key, codes in codes_by_name.items() if len(codes) > 1
        )
        rows_by_code: dict[str, list[Commune]] = defaultdict(list)
        for commune in self.communes:
            rows_by_code[commune.code].append(commune)
        self.rows_by_code = {
            code: tuple(sorted(rows, key=_commune_rank))
            for code, rows in rows_by_code.items()
        }

        self.countries = tuple(countries)
        self.country_by_code = {country.code: country for country in self.countries}
        self.country_names = _NameIndex(
            self.countries,
            lambda c: list(dict.fromkeys(normalise(n) for n in (c.name, *c.aliases))),
        )


def _read_communes(path: Path = COMMUNES_FILE) -> list[Commune]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        # Departments, postcodes and parents repeat across rows: interned, each is stored once.
        return [
            Commune(
                code=row["code"],
                kind=CommuneKind(row["kind"]),
                name=row["name"],
                department=sys.intern(row["department"]),
                postcodes=tuple(map(sys.intern, row["postcodes"].split())),
                parent_code=sys.intern(row["parent"]),
                population=int(row["population"]) if row["population"] else None,
            )
            for row in rows
        ]


def _read_countries(path: Path = COUNTRIES_FILE) -> list[Country]:
    text = path.read_text(encoding="utf-8")
    rows = csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    return [
        Country(
            code=row["code"],
            name=row["name"],
            aliases=tuple(alias for alias in row["aliases"].split("|") if alias),
            current=row["current"] == "1",
        )
        for row in rows
    ]


_data: _Data | None = None
_data_lock = threading.Lock()


def _get_data() -> _Data:
    global _data
    data = _data
    if data is None:
        with _data_lock:
            if _data is None:
                _data = _Data(_read_communes(), _read_countries())
            data = _data
    return data


def load() -> None:
    """Read and index the data now (e.g. at start-up) rather than on the first request."""
    _get_data()


# ---------------------------------------------------------------------------------------------
# Communes


def _commune_rank(commune: Commune) -> tuple:
    return (
        _KIND_RANK[commune.kind],
        -(commune.population or 0),
        commune.name,
        commune.code,
    )


def by_code(code: str) -> Commune | None:
    """The commune with this COG code (`45234`, `2A004`, `75115`), the current one first."""
    return _get_data().commune_by_code.get(code.strip().upper())


def entries_for_code(code: str) -> tuple[Commune, ...]:
    """Every entry with this code: a commune nouvelle and the commune déléguée sharing it."""
    return _get_data().rows_by_code.get(code.strip().upper(), ())


def parent(commune: Commune) -> Commune | None:
    """The commune of an arrondissement, or the commune nouvelle of a commune déléguée."""
    return by_code(commune.parent_code) if commune.parent_code else None


def arrondissements(commune: Commune) -> tuple[Commune, ...]:
    """The arrondissements municipaux of Paris, Lyon or Marseille; empty for other communes."""
    return _get_data().arrondissements.get(commune.code, ())


def unique_label(commune: Commune) -> str:
    """`Orléans (45)`, or `Bernwiller (68, 68031)` where the department is not enough.

    `resolve_text` reads either form back to the same commune, which makes it the value to
    offer in a list of suggestions.
    """
    if (normalise(commune.name), commune.department) in _get_data().homonyms:
        return f"{commune.name} ({commune.department}, {commune.code})"
    return commune.label


def by_postcode(postcode: str) -> tuple[Commune, ...]:
    """Current communes and arrondissements served by this postcode, communes first."""
    return _get_data().by_postcode.get(postcode.strip().replace(" ", ""), ())


def _postcodes_of(commune: Commune) -> tuple[str, ...]:
    if commune.postcodes or not commune.parent_code:
        return commune.postcodes
    parent_commune = parent(commune)
    return parent_commune.postcodes if parent_commune else ()


@dataclass(frozen=True, slots=True)
class _Qualifier:
    """What narrows a name down: a department, a postcode, or a code."""

    departments: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()  # 5 characters: a postcode or a COG code

    def __bool__(self) -> bool:
        return bool(self.departments or self.numbers)

    def accepts(self, commune: Commune) -> bool:
        if self.departments and commune.department not in self.departments:
            return False
        return not self.numbers or any(
            number == commune.code or number in _postcodes_of(commune)
            for number in self.numbers
        )


_DEPARTMENT = re.compile(r"^(\d{1,3}|2[AB])$")
_FIVE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
_PARENTHESISED = re.compile(r"^(?P<name>.*?)[\s,]*\((?P<qualifier>[^()]*)\)\s*$")
_BARE_SUFFIX = re.compile(
    r"^(?P<name>.*?\S)[\s,]+(?P<qualifier>\d{1,5}|2[AB]\d{0,3})$", re.I
)


def _parse_qualifier(text: str) -> _Qualifier | None:
    departments, numbers = set(), set()
    for part in re.split(r"[\s,;/–—-]+", text.strip().upper()):
        if not part:
            continue
        if _FIVE.match(part):
            numbers.add(part)
        elif _DEPARTMENT.match(part):
            # `1` for `01`; overseas departments have three digits.
            departments.add(part.zfill(2) if part.isdigit() and len(part) < 3 else part)
        else:
            return None
    if not (departments or numbers):
        return None
    return _Qualifier(frozenset(departments), frozenset(numbers))


def _split_qualifier(text: str) -> tuple[str, _Qualifier | None, bool]:
    """`Orléans (45)` → (`Orléans`, 45, True); `Orléans 45000` → (`Orléans`, 45000, False).

    The flag says the qualifier was in brackets, hence surely not part of the name.
    """
    if match := _PARENTHESISED.match(text):
        qualifier = _parse_qualifier(match["qualifier"])
        if qualifier is not None:
            return match["name"], qualifier, True
    if match := _BARE_SUFFIX.match(text):
        qualifier = _parse_qualifier(match["qualifier"])
        if qualifier is not None:
            return match["name"], qualifier, False
    return text, None, False


def _dedupe(communes: Iterable[Commune]) -> tuple[Commune, ...]:
    """One entry per code (the current commune wins over a déléguée with the same code)."""
    best: dict[str, Commune] = {}
    for commune in sorted(communes, key=_commune_rank):
        best.setdefault(commune.code, commune)
    return tuple(best.values())


def _search(query: str, qualifier: _Qualifier | None, limit: int) -> list[Commune]:
    data = _get_data()
    ranks = data.commune_names.matches(query)
    if not ranks:
        # Nothing starts like that: a typo, most likely (`Orleand`).
        ranks = {
            position: 3 + rank
            for position, rank in data.commune_names.close_to(query, 10).items()
        }
    found = []
    for position, rank in ranks.items():
        commune = data.communes[position]
        if qualifier is None or qualifier.accepts(commune):
            found.append((rank, _commune_rank(commune), commune))
    found.sort(key=lambda item: (item[0], item[1]))
    results: list[Commune] = []
    seen: set[tuple[str, str]] = set()
    for _, _, commune in found:
        # A commune nouvelle and its déléguée of the same name and code are one choice.
        if (commune.code, commune.name) not in seen:
            seen.add((commune.code, commune.name))
            results.append(commune)
            if len(results) >= limit:
                break
    return results


def search(text: str, limit: int = DEFAULT_LIMIT) -> list[Commune]:
    """Communes whose name starts with, or whose words start with, the text; best first.

    `orl`, `st jean de br`, `Saint-Denis (93)`, `Orléans 45000` and a bare postcode all work.
    Exact names come first, then names starting with the text, then word matches, then
    near spellings; within each, current communes before arrondissements and former
    communes, then the most populated first.
    """
    text = " ".join(text.split())
    if not text or limit <= 0:
        return []
    if text.isdigit() and len(text) == 5:
        return list(by_postcode(text)[:limit])
    whole = normalise(text)
    name, qualifier, bracketed = _split_qualifier(text)
    # `Paris 15` and `Lyon 3` are arrondissements before they are a Paris in the Cantal.
    if qualifier is None or (
        not bracketed and _get_data().commune_names.has_prefix(whole)
    ):
        return _search(whole, None, limit)
    return _search(normalise(name), qualifier, limit)


def resolve(
    name: str, department_or_postcode: str | None = None
) -> Commune | Ambiguous[Commune] | NotFound[Commune]:
    """The one commune with exactly this name (spelling folded) in this department/postcode.

    `department_or_postcode` may be a department (`45`, `2A`, `974`), a postcode (`45000`) or
    a COG code, or several separated by commas.
    """
    qualifier = None
    if department_or_postcode and department_or_postcode.strip():
        qualifier = _parse_qualifier(department_or_postcode)
        if qualifier is None:
            return NotFound()
    return _resolve_name(name, qualifier)


def _resolve_name(
    name: str, qualifier: _Qualifier | None
) -> Commune | Ambiguous[Commune] | NotFound[Commune]:
    data = _get_data()
    key = normalise(name)
    candidates = [
        data.communes[position] for position in data.commune_names.exact.get(key, ())
    ]
    if qualifier:
        candidates = [c for c in candidates if qualifier.accepts(c)]
    candidates = _dedupe(candidates)
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        return Ambiguous(candidates)
    if not key:
        return NotFound()
    # `Orléans (28)`: the name exists elsewhere, which is worth suggesting.
    return NotFound(tuple(_search(key, qualifier, 5) or _search(key, None, 5)))


def resolve_text(text: str) -> Commune | Ambiguous[Commune] | NotFound[Commune]:
    """Read what a parent typed: `Orléans (45)`, `Orléans 45000`, `Paris 15`, a postcode,
    a COG code, or a label from `unique_label`."""
    text = " ".join(text.split())
    if not text:
        return NotFound()
    upper = text.upper()
    # Parents know their postcode, not the COG code: five digits that are both (45160 is a
    # postcode and Greneville-en-Beauce's code) are read as a postcode.
    if upper.isdigit() and len(upper) == 5 and by_postcode(upper):
        return _resolve_postcode(upper)
    if COMMUNE_CODE_RE.match(upper) and (commune := by_code(upper)):
        return commune
    if normalise(text) in _get_data().commune_names.exact:
        return _resolve_name(text, None)
    name, qualifier, _ = _split_qualifier(text)
    return _resolve_name(name, qualifier)


def _resolve_postcode(
    postcode: str,
) -> Commune | Ambiguous[Commune] | NotFound[Commune]:
    candidates = by_postcode(postcode)
    arrondissements = [c for c in candidates if c.kind is CommuneKind.ARRONDISSEMENT]
    # 75015 is Paris and its 15th arrondissement: the arrondissement says more.
    if len(arrondissements) == 1 and all(
        c in arrondissements or c.code == arrondissements[0].parent_code
        for c in candidates
    ):
        return arrondissements[0]
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        return Ambiguous(candidates)
    return NotFound()


# ---------------------------------------------------------------------------------------------
# Residence


_CEDEX = re.compile(r"\bcedex\b(?: \d+)?")


def _commune_level(commune: Commune) -> str:
    """The code of the commune of today that the entry is part of."""
    return commune.parent_code or commune.code


def is_same_commune(postcode: str, city_name: str, commune_code: str) -> bool:
    """Whether a postal address (postcode + city as La Poste writes it) lies in this commune.

    An arrondissement counts as its commune, a commune déléguée or associée as its commune
    nouvelle; `75015 PARIS 15` is in Paris (75056). The city name must designate one of the
    communes the postcode serves (abbreviations `ST`, `STE` and accents are folded; a name cut
    short, as La Poste does past 32 characters, matches when it is unambiguous). A postcode
    alone decides nothing: a postcode often serves several communes.
    """
    target = by_code(commune_code)
    if target is None:
        return False
    postcode = postcode.strip().replace(" ", "")
    city = _CEDEX.sub(" ", normalise(city_name)).strip()
    if not city or not postcode:
        return False
    served = _get_data().served_by_postcode.get(postcode, ())
    named = [c for c in served if city in _name_keys(c.kind, c.name)]
    if not named:
        named = [
            c
            for c in served
            if len(city) >= 8
            and any(key.startswith(city) for key in _name_keys(c.kind, c.name))
        ]
        if len({_commune_level(c) for c in named}) != 1:
            return False
    return any(_commune_level(c) == _commune_level(target) for c in named)


# ---------------------------------------------------------------------------------------------
# Countries


def countries() -> tuple[Country, ...]:
    return _get_data().countries


def country_by_code(code: str) -> Country | None:
    return _get_data().country_by_code.get(code.strip())


def _country_rank(country: Country) -> tuple:
    return (not country.current, normalise(country.name))


def search_countries(text: str, limit: int = DEFAULT_LIMIT) -> list[Country]:
    """Countries whose name or another usual name starts with the text; current ones first."""
    query = normalise(text)
    if not query or limit <= 0:
        return []
    data = _get_data()
    ranks = data.country_names.matches(query) or {
        position: 3 + rank
        for position, rank in data.country_names.close_to(query, limit).items()
    }
    ordered = sorted(
        ranks,
        key=lambda position: (ranks[position], _country_rank(data.countries[position])),
    )
    return [data.countries[position] for position in ordered[:limit]]


def resolve_country(text: str) -> Country | Ambiguous[Country] | NotFound[Country]:
    """A code (`99109`) or a name (`allemagne`, `Côte d'Ivoire`) → one country, or why not."""
    text = text.strip()
    if not text:
        return NotFound()
    if COUNTRY_CODE_RE.match(text) and (country := country_by_code(text)):
        return country
    data = _get_data()
    positions = data.country_names.exact.get(normalise(text), [])
    found = tuple(dict.fromkeys(data.countries[position] for position in positions))
    if len(found) == 1:
        return found[0]
    if found:
        return Ambiguous(found)
    # A unique prefix is as good as the full name (`Royaume` → Royaume-Uni).
    suggestions = search_countries(text, 5)
    prefixed = [c for c in suggestions if normalise(c.name).startswith(normalise(text))]
    if len(prefixed) == 1 and len(suggestions) == 1:
        return prefixed[0]
    return NotFound(tuple(suggestions))
