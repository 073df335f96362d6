"""When the ledger counts as following the store live, for the writer to leave it the field
digests (domain/ledger/handlers.py, docs/rules.md §12.6): when its integrator's position has
reached the head of the store as it stood one look earlier. A ledger that lags, stopped or
catching up, is not live, and the writer computes the digests again, so that the catch-up
need not decrypt every event; nothing known (at start, or after a failed look) is not live."""

from __future__ import annotations

FOLLOW_POLL_SECONDS = 1.0  # how often the writer's process looks


def follows(ledger_position: int | None, head_before: int | None) -> bool:
    """Whether the ledger follows the store: its position now against the store's head at the
    look before (None: not known)."""
    return (
        ledger_position is not None and head_before is not None and ledger_position >= head_before
    )
