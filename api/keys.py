"""Encryption keys: the event-state key and the master key that wraps per-subject data keys.

In development both are generated on first run into ``<data_dir>/keys.json`` (mode 0600). Outside
development :class:`~api.settings.Settings` refuses to start without configured keys.
"""

from __future__ import annotations

import json
import os
from base64 import b64decode, b64encode
from dataclasses import dataclass
from pathlib import Path

from api.settings import Settings


@dataclass(frozen=True)
class Keys:
    event_key: str  # base64, as the library's AESCipher expects
    master_key: bytes


def _write_private(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)


def load_keys(settings: Settings) -> Keys:
    if settings.event_key and settings.master_key:
        return _checked(settings.event_key, settings.master_key)
    path = settings.key_file or settings.data_dir / "keys.json"
    if not path.exists():
        if settings.key_file is not None:
            raise FileNotFoundError(f"key file {path} does not exist")
        _write_private(
            path,
            json.dumps(
                {
                    "event_key": b64encode(os.urandom(32)).decode(),
                    "master_key": b64encode(os.urandom(32)).decode(),
                }
            ),
        )
    data = json.loads(path.read_text())
    return _checked(data["event_key"], data["master_key"])


def _checked(event_key: str, master_key: str) -> Keys:
    for name, value in (("event_key", event_key), ("master_key", master_key)):
        if len(b64decode(value)) != 32:
            raise ValueError(f"{name} must be 32 bytes, base64-encoded")
    return Keys(event_key=event_key, master_key=b64decode(master_key))
