"""Typed errors and validation problems of the pricing engine."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a barème document, worded in French for agents.

    ``path`` locates the faulty value in the document (``brackets[2].max``) so a form
    can show the message beside the right field; ``code`` is a stable identifier
    for programs (``overlap``, ``gap``, ``negative_price``…).
    """

    code: str
    path: str
    message: str
    # For the commands, when the problem is one of the document's limits (reader.py).
    english: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.path} : {self.message}" if self.path else self.message


class PricingError(Exception):
    """A situation the barème cannot price; the message is French, for parents and agents."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidBareme(ValueError):
    """A barème document with problems; nothing can be priced from it."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))
