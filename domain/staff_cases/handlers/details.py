"""An allegation's referral details (docs/rules.md §11): what LADO referral forms ask for
beyond the description, checked once for receipt and for amendment, then sealed with the
allegation's key as its description is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.directory.aggregates import Pupil
from domain.shared.base_app import CaseworkBase
from domain.shared.calendar import end_of_london_day
from domain.shared.errors import NotFound, ValidationFailed
from domain.shared.sealing import Sealed, SealingSession
from domain.shared.validation import MAX_TEXT, choice, optional_text
from domain.staff_cases.commands import AllegationDetails, ChildConcerned
from domain.staff_cases.errors import PupilNotOnRoll
from domain.staff_cases.model import MAX_CHILDREN, MAX_LOCATION, ChildRelationship, YesNoNotKnown

CHILDREN = "childrenConcerned"


@dataclass(frozen=True)
class CheckedDetails:
    """Details that passed their checks, free text still plain; ``None`` is not given."""

    children: list[dict[str, Any]] | None = None
    location: str | None = None
    more_than_one_incident: str | None = None
    after_physical_intervention: str | None = None
    injury: str | None = None
    others_told: str | None = None

    @property
    def empty(self) -> bool:
        return all(value is None for value in vars(self).values())

    def sealed(self, seal: SealingSession, allegation_id: UUID) -> dict[str, Any]:
        """The event's fields: each free text sealed with the allegation's key."""

        def text(value: str | None) -> Sealed | None:
            return None if value is None else seal.seal(allegation_id, value)

        return {
            "children": self.children,
            "location": text(self.location),
            "more_than_one_incident": self.more_than_one_incident,
            "after_physical_intervention": self.after_physical_intervention,
            "injury": text(self.injury),
            "others_told": text(self.others_told),
        }


def check_details(
    app: CaseworkBase, school_id: UUID | None, received_at: datetime, details: AllegationDetails
) -> CheckedDetails:
    """``details`` checked: each child a pupil of ``school_id`` on roll when the allegation was
    received (``received_at``), the answers among their values, the text within its length.
    An unknown pupil and one of another school are refused alike (``NotFound``)."""
    return CheckedDetails(
        children=None
        if details.children is None
        else _children(app, school_id, received_at, details.children),
        location=optional_text("location", details.location, MAX_LOCATION),
        more_than_one_incident=_answer("moreThanOneIncident", details.more_than_one_incident),
        after_physical_intervention=_answer(
            "afterPhysicalIntervention", details.after_physical_intervention
        ),
        injury=optional_text("injury", details.injury, MAX_TEXT),
        others_told=optional_text("othersTold", details.others_told, MAX_TEXT),
    )


def _answer(field: str, value: str | None) -> str | None:
    return None if value is None else choice(field, value, YesNoNotKnown)


def _children(
    app: CaseworkBase,
    school_id: UUID | None,
    received_at: datetime,
    children: Sequence[ChildConcerned],
) -> list[dict[str, Any]]:
    if not children:
        raise ValidationFailed(CHILDREN, "name at least one child, or leave the children out")
    if len(children) > MAX_CHILDREN:
        raise ValidationFailed(CHILDREN, f"at most {MAX_CHILDREN} children")
    named: list[dict[str, Any]] = []
    for child in children:
        relationship = choice("relationship", child.relationship, ChildRelationship)
        if any(n["pupil_id"] == child.pupil_id for n in named):
            raise ValidationFailed(CHILDREN, f"{child.pupil_id} is named twice")
        pupil = app.get(Pupil, child.pupil_id, "Pupil", read_only=True)
        if pupil.school_id != school_id:
            raise NotFound("Pupil", child.pupil_id)
        if pupil.left_on is not None and received_at >= end_of_london_day(pupil.left_on):
            raise PupilNotOnRoll(CHILDREN, pupil.left_on)
        named.append({"pupil_id": child.pupil_id, "relationship": relationship})
    return named
