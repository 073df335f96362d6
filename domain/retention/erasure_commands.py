"""The erasure commands, as values (handled by ``domain/retention/erasure_handlers.py``).

The retention schedule is read by the composition root, which hands each command the records as
the schedule gives them now (``Candidate``: their rule, keys and blockers), computed by the
domain's retention rules; the handler decides on those plain values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from domain.retention.erasure_rules import Candidate


@dataclass(frozen=True)
class PlanErasure:
    """A dry run: what erasing ``candidates`` would destroy, and what blocks it."""

    trust_id: UUID
    candidates: Sequence[Candidate]


@dataclass(frozen=True)
class RequestErasure:
    """Ask for ``candidates`` (the records named, as scheduled now) to be erased."""

    trust_id: UUID
    candidates: Sequence[Candidate]
    reason: str


@dataclass(frozen=True)
class ApproveErasure:
    """Carry out a requested erasure, as its second approver, on the records as scheduled now."""

    erasure_id: UUID
    candidates: Sequence[Candidate]


@dataclass(frozen=True)
class CancelErasure:
    erasure_id: UUID
    reason: str
