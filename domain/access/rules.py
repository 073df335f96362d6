"""Access's rules, as pure functions of plain values."""

from __future__ import annotations

from collections.abc import Iterable

from domain.shared.policy import Grant


def roles_in_order(grants: Iterable[Grant]) -> list[Grant]:
    """A principal's grants in the order they are shown, the same on every read: by trust,
    then school (as their ids read), then role."""
    return sorted(grants, key=lambda g: (str(g.trust_id), str(g.school_id), g.role))
