"""The refusals particular to staff cases, each with its stable code."""

from __future__ import annotations

from domain.shared.errors import ValidationFailed


class CaseClosed(ValidationFailed):
    code = "CASE_CLOSED"

    def __init__(self, field: str) -> None:
        super().__init__(field, "the case is closed")


class SubjectCannotBeOnCase(ValidationFailed):
    """The person an allegation is about never manages it, joins its team, or reads it."""

    code = "SUBJECT_EXCLUDED"

    def __init__(self, field: str) -> None:
        super().__init__(field, "the subject of the allegation cannot manage it or be on its team")


class OutcomeRequired(ValidationFailed):
    code = "OUTCOME_REQUIRED"

    def __init__(self, what: str) -> None:
        super().__init__("allegationId", f"record the outcome before {what}")


class ReferenceNotPermitted(ValidationFailed):
    """KCSIE: references mention substantiated allegations only, and no history of others."""

    code = "REFERENCE_NOT_PERMITTED"

    def __init__(self, outcome: str) -> None:
        super().__init__(
            "willBeReferredTo",
            f"a {outcome} allegation may not be referred to in a reference; only a "
            "substantiated one may",
        )


class BelowHarmThreshold(ValidationFailed):
    """None of the four harm tests is met: it is a low-level concern, not an allegation."""

    code = "HARM_THRESHOLD_NOT_MET"

    def __init__(self) -> None:
        super().__init__(
            "harmTests",
            "none of the four harm tests is met, so this is a low-level concern, not an "
            "allegation: send recordAsLowLevelConcern: true to record it as one",
        )


class NoCaseManager(ValidationFailed):
    code = "NO_CASE_MANAGER"


class NothingToAmend(ValidationFailed):
    """An amendment of an allegation's details that gives none of them."""

    code = "NOTHING_TO_AMEND"

    def __init__(self) -> None:
        super().__init__("details", "give at least one detail to record")


class PupilNotOnRoll(ValidationFailed):
    """A child named on an allegation had left the school before it was received."""

    code = "PUPIL_NOT_ON_ROLL"

    def __init__(self, field: str, left_on: object) -> None:
        super().__init__(
            field, f"the pupil left the school on {left_on}, before the allegation was received"
        )
