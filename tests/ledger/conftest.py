"""Fixtures of the ledger's specifications."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.ledger import log_signer
from tests.witnesses import RunningWitness


@pytest.fixture
def witness(tmp_path: Path, container: Any, settings: Any) -> Iterator[RunningWitness]:
    """A witness process of this deployment's ledger, with its own state directory."""
    running = RunningWitness(tmp_path / "witness", [log_signer(container.keyring, settings).vkey()])
    running.start()
    yield running
    if running.process and running.process.poll() is None:
        running.stop()
