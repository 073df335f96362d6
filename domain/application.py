"""The write side: one event-sourced application, one event store with a single global order.

Command handlers live in per-feature mixins (``domain/<feature>/commands.py``) over
:class:`CaseworkBase`; this class joins them.
"""

from __future__ import annotations

from domain.access.commands import AccessCommands
from domain.consent.commands import ConsentCommands
from domain.directory.commands import DirectoryCommands
from domain.incidents.commands import IncidentCommands
from domain.staff_cases.commands import StaffCaseCommands


class CaseworkApplication(
    DirectoryCommands, AccessCommands, IncidentCommands, StaffCaseCommands, ConsentCommands
):
    """All casework commands over one event store (table ``casework_events``)."""

    name = "Casework"
