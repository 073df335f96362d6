"""KCSIE Part four commands: allegations, low-level concerns, staff social-media records, each
handled by the application method of the command's name (``domain/staff_cases/commands.py``).

Routing (docs/rules.md §3 to §4) is in :mod:`domain.staff_cases.handlers.routing`.
"""

from __future__ import annotations

from domain.staff_cases.handlers.allegations import AllegationHandlers, Received
from domain.staff_cases.handlers.concerns import ConcernHandlers
from domain.staff_cases.handlers.settings import StaffCaseSettingsHandlers
from domain.staff_cases.handlers.social_media import SocialMediaHandlers

__all__ = ["Received", "StaffCaseHandlers"]


class StaffCaseHandlers(
    StaffCaseSettingsHandlers, AllegationHandlers, ConcernHandlers, SocialMediaHandlers
):
    """All staff-case commands."""
