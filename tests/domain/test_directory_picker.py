"""The pickers' matching rule (docs/rules.md §1.5): prefix of any word, accents and case folded,
in name order, bounded, never the caller's own record."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.directory.picker import (
    MAX_PICKS,
    MAX_SEARCH,
    bound,
    matches,
    normalise,
    pick,
    search_term,
)
from domain.shared.errors import ValidationFailed
from domain.shared.policy import PERMISSIONS, Action, Role


def people(*names: str | None) -> list[tuple[UUID, str | None]]:
    return [(uuid4(), name) for name in names]


def picked(
    candidates: list[tuple[UUID, str | None]],
    search: str,
    first: int = 10,
    excluded: frozenset[UUID] = frozenset(),
) -> list[str | None]:
    found = pick(candidates, lambda p: p[1], lambda p: p[0], search, first, excluded)
    return [name for _, name in found]


def test_accents_and_case_fold_away():
    assert normalise("ZOË Ångström-Ñúñez") == "zoe angstrom nunez"


def test_compatibility_forms_fold_to_their_letters():
    assert normalise("ﬁnn Straße") == "finn strasse"


def test_an_apostrophe_joins_and_a_hyphen_separates():
    assert normalise("Siobhán O\u2019Brien-Smith") == "siobhan obrien smith"


def test_a_search_matches_the_start_of_a_name():
    assert matches("Zoë Okafor", "zo")


def test_a_search_matches_the_start_of_any_later_word():
    assert matches("Zoë Okafor", "oka")


def test_a_search_of_several_words_matches_a_run_of_words():
    assert matches("Zoë Grace Okafor", "grace ok")


def test_a_search_inside_a_word_does_not_match():
    assert not matches("Zoë Okafor", "kaf")


def test_zoe_finds_zoe_with_a_diaeresis_whatever_its_case():
    assert picked(people("Zoë Okafor", "Leo Nowak"), "ZOE") == ["Zoë Okafor"]


def test_a_decomposed_accent_in_the_search_matches_a_composed_one_in_the_name():
    assert picked(people("Zo\u00eb Okafor"), "Zoe\u0308") == ["Zo\u00eb Okafor"]


def test_matches_come_in_the_order_of_their_folded_names():
    found = picked(people("Oliver Smith", "Élodie Smart", "eva Small"), "sm")
    assert found == ["Élodie Smart", "eva Small", "Oliver Smith"]


def test_no_more_than_first_are_answered():
    assert len(picked(people(*(f"Sam {i:02}" for i in range(5))), "sam", first=3)) == 3


def test_first_is_capped():
    many = people(*(f"Sam {i:02}" for i in range(MAX_PICKS + 5)))
    assert len(picked(many, "sam", first=1000)) == MAX_PICKS


def test_the_callers_own_record_is_never_offered():
    me, other = people("Sam Jones", "Sam Jonas")
    assert picked([me, other], "sam", excluded=frozenset({me[0]})) == ["Sam Jonas"]


def test_an_erased_name_is_never_offered():
    assert picked(people(None, "Sam Jones"), "sam") == ["Sam Jones"]


def test_a_search_with_no_letter_or_digit_names_the_search():
    with pytest.raises(ValidationFailed) as refused:
        search_term(" -' ")
    assert refused.value.field == "search"


def test_a_search_longer_than_any_name_names_the_search():
    with pytest.raises(ValidationFailed) as refused:
        search_term("a" * (MAX_SEARCH + 1))
    assert refused.value.field == "search"


def test_first_below_one_names_first():
    with pytest.raises(ValidationFailed) as refused:
        bound(0)
    assert refused.value.field == "first"


def test_anyone_who_may_report_may_pick_and_a_staff_reporter_among_them():
    assert PERMISSIONS[Action.PICK_PERSON] == PERMISSIONS[Action.REPORT_INCIDENT]
    assert Role.STAFF_REPORTER in PERMISSIONS[Action.PICK_PERSON]
