"""The log's side of c2sp.org/tlog-witness: submit a checkpoint with its consistency proof and
get the witness's cosignature lines back. Standard library only, so the log's process carries
no HTTP client for a single POST."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from collections.abc import Sequence

SIZE_TYPE = "text/x.tlog.size"


class WitnessError(Exception):
    """The witness gave no cosignature."""


class WitnessRefused(WitnessError):
    """The witness answered, and refused: its status, its size (on 409) and its words."""

    def __init__(self, status: int, size: int | None, message: str) -> None:
        super().__init__(f"witness refused with {status}: {message}")
        self.status, self.size, self.message = status, size, message


class WitnessUnreachable(WitnessError):
    """No answer from the witness (connection refused, timeout, or not HTTP)."""


def request_body(old_size: int, proof: Sequence[bytes], note: str) -> bytes:
    lines = [f"old {old_size}", *(base64.b64encode(h).decode() for h in proof)]
    return ("\n".join(lines) + "\n\n" + note).encode()


def add_checkpoint(
    url: str, old_size: int, proof: Sequence[bytes], note: str, timeout: float = 10.0
) -> list[str]:
    """POST ``<url>/add-checkpoint`` (``url`` is the witness's submission prefix) and return
    its cosignature lines, each ending in a newline, to be appended to the note."""
    if not url.startswith(("http://", "https://")):
        raise ValueError("a witness is reached over http or https")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url.rstrip("/") + "/add-checkpoint",
        data=request_body(old_size, proof, note),
        method="POST",
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            text = response.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        body = e.read().decode("utf-8", "replace")
        size = None
        if e.code == 409 and e.headers.get("Content-Type", "").startswith(SIZE_TYPE):
            stripped = body.removesuffix("\n")
            size = int(stripped) if stripped.isascii() and stripped.isdigit() else None
        raise WitnessRefused(e.code, size, body.strip()) from e
    except (OSError, ValueError) as e:
        raise WitnessUnreachable(f"witness at {url} did not answer: {e}") from e
    lines = text.splitlines(keepends=True)
    if not lines or not all(line.startswith("\u2014 ") and line.endswith("\n") for line in lines):
        raise WitnessUnreachable(f"witness at {url} answered no signature lines")
    return lines
