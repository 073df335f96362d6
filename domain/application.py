"""The write side: one event-sourced application, one event store with a single global order.

Each feature's commands are values (``domain/<feature>/commands.py``), handled by the methods of
its handler mixin (``domain/<feature>/handlers.py``) over :class:`CaseworkBase`; this class joins
them.
"""

from __future__ import annotations

from domain.access.handlers import AccessHandlers
from domain.consent.handlers import ConsentHandlers
from domain.directory.handlers import DirectoryHandlers
from domain.incidents.handlers import IncidentHandlers
from domain.ledger.handlers import LedgerHandlers
from domain.retention.erasure_handlers import ErasureHandlers
from domain.retention.handlers import RetentionHandlers
from domain.staff_cases.handlers import StaffCaseHandlers
from domain.webhooks.handlers import WebhookHandlers


class CaseworkApplication(
    DirectoryHandlers,
    AccessHandlers,
    IncidentHandlers,
    StaffCaseHandlers,
    ConsentHandlers,
    ErasureHandlers,
    RetentionHandlers,
    WebhookHandlers,
    LedgerHandlers,
):
    """All casework commands over one event store (table ``casework_events``)."""

    name = "Casework"
