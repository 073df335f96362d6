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

from api.settings import InsecureConfiguration, Settings


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
    """The configured keys, or (development) the data directory's, generated on first use.
    A key that is missing, malformed or trivially weak is refused with one line naming the
    setting it came from."""
    if settings.event_key and settings.master_key:
        return _checked(
            (settings.event_key, "CASEWORK_EVENT_KEY"),
            (settings.master_key, "CASEWORK_MASTER_KEY"),
        )
    path = settings.key_file or settings.data_dir / "keys.json"
    if not path.exists():
        if settings.key_file is not None:
            raise InsecureConfiguration(f"CASEWORK_KEY_FILE {path} does not exist")
        _write_private(
            path,
            json.dumps(
                {
                    "event_key": b64encode(os.urandom(32)).decode(),
                    "master_key": b64encode(os.urandom(32)).decode(),
                }
            ),
        )
    try:
        data = json.loads(path.read_text())
        event_key, master_key = str(data["event_key"]), str(data["master_key"])
    except (OSError, ValueError, KeyError, TypeError):
        raise InsecureConfiguration(
            f"the key file {path} must be JSON with event_key and master_key"
        ) from None
    return _checked((event_key, f"event_key in {path}"), (master_key, f"master_key in {path}"))


def _checked(event_key: tuple[str, str], master_key: tuple[str, str]) -> Keys:
    """Each key as (base64 value, where it was configured)."""
    raw: list[bytes] = []
    for value, source in (event_key, master_key):
        try:
            key = b64decode(value, validate=True)
        except ValueError:
            key = b""
        if len(key) != 32:
            raise InsecureConfiguration(f"{source} must be 32 bytes, base64-encoded")
        if len(set(key)) == 1:
            raise InsecureConfiguration(
                f"{source} is trivially weak (every byte the same): use 32 random bytes"
            )
        raw.append(key)
    return Keys(event_key=event_key[0], master_key=raw[1])
