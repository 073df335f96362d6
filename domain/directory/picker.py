"""The pupil and staff pickers' matching rule (docs/rules.md §1.5, issue 20): a reporter names
the people a concern is about by typing the start of a name.

A name matches when the search, normalised, begins any of the name's words (or a run of them:
"zoe ok" finds "Zoë Okafor"). Normalising folds accents and case: NFKD, combining marks dropped,
casefolded; apostrophes vanish ("obrien" finds "O'Brien") and any other mark that is not a
letter or digit separates words ("jones" finds "Smith-Jones"). Matches come in the order of
their normalised names (then id, so that one search answers the same each time), never the
caller's own record, and at most ``MAX_PICKS`` of them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Collection, Iterable
from typing import TypeVar
from uuid import UUID

from domain.shared.errors import ValidationFailed

MAX_PICKS = 20  # a picker offers a few names to choose from, never a school's roll
DEFAULT_PICKS = 10
MAX_SEARCH = 100  # characters: longer than any name a school records

_APOSTROPHES = frozenset("'\u2019\u02bc")

P = TypeVar("P")


def normalise(text: str) -> str:
    """``text`` folded for matching: accents and case gone, words separated by one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = unicodedata.normalize("NFKD", bare.casefold())
    chars = (
        "" if c in _APOSTROPHES else c if c.isalnum() else " "
        for c in folded
        if not unicodedata.combining(c)
    )
    return " ".join("".join(chars).split())


def search_term(search: str) -> str:
    """The search as it is matched; ValidationFailed naming ``search`` if it cannot match."""
    if len(search) > MAX_SEARCH:
        raise ValidationFailed("search", f"must be at most {MAX_SEARCH} characters")
    term = normalise(search)
    if not term:
        raise ValidationFailed("search", "must contain a letter or a digit")
    return term


def bound(first: int) -> int:
    """How many matches a search answers: ``first``, at most ``MAX_PICKS``."""
    if first < 1:
        raise ValidationFailed("first", "must be at least 1")
    return min(first, MAX_PICKS)


def matches(name: str, term: str) -> bool:
    """Whether ``term`` (normalised) begins a word, or a run of words, of ``name``."""
    return _begins_a_word(normalise(name), term)


def _begins_a_word(normalised: str, term: str) -> bool:
    words = normalised.split(" ")
    return any(" ".join(words[i:]).startswith(term) for i in range(len(words)))


def pick(
    people: Iterable[P],
    name_of: Callable[[P], str | None],
    id_of: Callable[[P], UUID],
    search: str,
    first: int,
    excluded: Collection[UUID] = frozenset(),
) -> list[P]:
    """Those of ``people`` whose name ``search`` matches, in name order, at most ``first`` (see
    :func:`bound`); never one in ``excluded`` (the caller's own record), nor one without a name
    (erased)."""
    term, limit = search_term(search), bound(first)
    found = []
    for person in people:
        name, person_id = name_of(person), id_of(person)
        if name is None or person_id in excluded:
            continue
        normalised = normalise(name)  # once: to match, then to order by
        if _begins_a_word(normalised, term):
            found.append((normalised, str(person_id), person))
    found.sort(key=lambda f: (f[0], f[1]))
    return [person for _, _, person in found[:limit]]
