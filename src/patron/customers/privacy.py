"""Erasure and export reach every context through hooks: each context that keeps something about a
customer registers, in its own AppConfig.ready(), what it exports (a section of `patron customer
export`) and how it erases (blanks its free text, or removes the person's identifiers from it).

customers sits below the contexts that hold the tickets, the ledger or the messages, so it cannot
name them; they name it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from patron.core.values import map_strings

ERASED = "[erased]"


@dataclass(frozen=True)
class Person:
    """Who is being erased, as they were before: what must not remain anywhere in the store."""

    customer_id: int
    external_id: str
    email: str
    phone: str
    first_name: str
    last_name: str

    def identifiers(self) -> list[str]:
        found = [v.strip() for v in (self.email, self.phone, self.external_id, self.full_name) if v and v.strip()]
        return sorted(set(found), key=len, reverse=True)  # the longest first: the full name before its parts

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @cached_property
    def _pattern(self) -> re.Pattern | None:
        words = self.identifiers() + [n.strip() for n in (self.first_name, self.last_name) if len(n.strip()) > 1]
        if not words:
            return None
        # A name is replaced as a whole word (Ona, not the "ona" in "Donata"); addresses and ids anywhere.
        parts = [rf"(?<!\w){re.escape(w)}(?!\w)" for w in sorted(set(words), key=len, reverse=True)]
        return re.compile("|".join(parts), re.IGNORECASE)

    def scrub(self, text: str) -> str:
        """`text` without the person's email, phone, names and external id."""
        pattern = self._pattern
        if not text or pattern is None:
            return text
        return pattern.sub(ERASED, text)

    def scrub_data(self, value: Any) -> Any:
        """The same for JSON data: every string in it, keys included."""
        return map_strings(self.scrub, value)

    def mentioned_in(self, text: str) -> bool:
        return self.scrub(text) != text


ERASERS: list[Callable[[Any, Person], None]] = []
EXPORTERS: dict[str, Callable[[Any], Any]] = {}


def erases(function: Callable[[Any, Person], None]) -> Callable[[Any, Person], None]:
    """Register `function(customer, person)`, run inside the erasure's transaction after the profile is blanked."""
    if function not in ERASERS:
        ERASERS.append(function)
    return function


def exports(section: str):
    """Register `function(customer) -> data` as the export's `section`."""
    def register(function):
        if section in EXPORTERS and EXPORTERS[section] is not function:
            raise ValueError(f"two exporters for the section {section!r}")
        EXPORTERS[section] = function
        return function
    return register
