"""Image and video consent, official channels, publications and takedowns (issue 5): the
application's consent commands, from their two halves (consent records; channels and
publications)."""

from __future__ import annotations

from domain.consent.channel_handlers import ChannelHandlers
from domain.consent.commands import Choice
from domain.consent.errors import (
    ChannelClosed,
    CompetenceNotAssessed,
    ConsentMissing,
    ConsentNotGiven,
    Missing,
    NoConsentRecord,
    NoParentalResponsibility,
    NoTakedownPending,
    PostedBeforeChannelOpened,
    PosterNotAuthorised,
    PupilLeft,
    PupilNotCompetent,
    SelfApproval,
)
from domain.consent.record_handlers import ConsentRecordHandlers, lapse_of
from domain.consent.rules import MAX_PUPILS_PER_PUBLICATION

__all__ = [
    "MAX_PUPILS_PER_PUBLICATION",
    "ChannelClosed",
    "Choice",
    "CompetenceNotAssessed",
    "ConsentHandlers",
    "ConsentMissing",
    "ConsentNotGiven",
    "Missing",
    "NoConsentRecord",
    "NoParentalResponsibility",
    "NoTakedownPending",
    "PostedBeforeChannelOpened",
    "PosterNotAuthorised",
    "PupilLeft",
    "PupilNotCompetent",
    "SelfApproval",
    "lapse_of",
]


class ConsentHandlers(ConsentRecordHandlers, ChannelHandlers):
    """Every consent command."""
