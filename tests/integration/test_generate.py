"""The data-set generator writes only through the applications' commands."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import pytest

from domain.directory.commands import RecordStaffLeft
from ops.generate import AlreadyGenerated, Options, catch_up, generate
from ops.generate.commands import handler_name, run

SMALL = Options(
    schools=2,
    schools_per_trust=2,
    pupils_per_school=60,
    staff_per_school=14,
    min_events=2500,
    workers=2,
)


def test_a_command_is_handled_by_the_method_named_after_it():
    assert handler_name(RecordStaffLeft(UUID(int=1), None)) == "record_staff_left"  # type: ignore[arg-type]


def test_a_command_reaches_the_handler_named_after_it():
    @dataclass(frozen=True)
    class GrantRole:
        user_id: str
        role: str

    class App:
        def grant_role(self, command: GrantRole) -> GrantRole:
            return command

    command = GrantRole("a@school.example", "dsl")

    assert run(App(), command) is command  # type: ignore[arg-type]


@pytest.mark.parametrize("commands_per_transaction", [1, 100])
def test_the_generated_data_set_is_what_the_commands_recorded(container, commands_per_transaction):
    options = Options(**{**SMALL.__dict__, "commands_per_transaction": commands_per_transaction})

    generated = generate(container, options, show_progress=False)

    counts = generated.counts
    assert generated.events == counts["events_generated"] >= options.min_events
    assert counts["schools"] == 2 and counts["trusts"] == 1
    assert counts["incidents"] > 0 and counts["consent_forms"] > 0
    if commands_per_transaction == 1:
        assert counts["transactions"] == counts["commands"]
    else:
        assert counts["transactions"] < counts["commands"]
    assert all(s.incidents > 0 and s.channel_id for s in generated.schools)
    catch_up(container, show_progress=False)  # every event loads and projects


def test_generating_the_same_seed_twice_is_refused(container):
    generate(container, SMALL, show_progress=False)

    with pytest.raises(AlreadyGenerated):
        generate(container, SMALL, show_progress=False)
