"""An independent witness (c2sp.org/tlog-witness): it co-signs a log's checkpoint only when a
consistency proof shows it extends the last one it co-signed, so one honest witness makes the
log provably append-only. It never touches the database: all it holds is its key, its name and
the last (size, root) per log, in a state directory it alone writes.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import socket
import tempfile
import threading
import time
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from domain.ledger.merkle import EMPTY_ROOT, ProofFailed, verify_consistency
from domain.ledger.note import (
    NoteMalformed,
    NoteRejected,
    Signer,
    Verifier,
    cosign,
    decimal,
    parse_checkpoint,
    parse_note,
    unb64,
    valid_key_name,
    verify_note,
)

MAX_BODY = 1 << 20  # a note of 100 post-quantum signatures fits
MAX_PROOF_LINES = 63
SIZE_TYPE = "text/x.tlog.size"


@dataclass
class Answer:
    """An HTTP answer as the protocol fixes it: status, body and content type."""

    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temporary(path: Path, data: bytes, mode: int) -> str:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), mode)
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return tmp


def _write_atomically(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write a temporary file, fsync it, rename it over ``path`` and fsync the directory, so a
    crash leaves either the old state or the new one, never a torn file or a lost rename."""
    os.replace(_temporary(path, data, mode), path)
    _fsync_dir(path.parent)


def _create_once(path: Path, data: bytes, mode: int) -> None:
    """Like :func:`_write_atomically`, but never over an existing file: of two processes
    creating the key at once, one key wins and both use it."""
    tmp = _temporary(path, data, mode)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)
    _fsync_dir(path.parent)


class Witness:
    """The witness's state and its one operation. ``add_checkpoint`` holds a lock from reading
    the stored size to persisting the new one: two requests can never roll the state back."""

    def __init__(self, state: Path, logs: dict[str, list[Verifier]], name: str | None = None):
        self.state, self.logs = state, logs
        self._lock = threading.Lock()
        self.signer = load_signer(state, name)

    def _path(self, origin: str) -> Path:
        return self.state / "logs" / f"{sha256(origin.encode()).hexdigest()}.json"

    def stored(self, origin: str) -> tuple[int, bytes]:
        path = self._path(origin)
        if not path.exists():
            return 0, EMPTY_ROOT
        saved = json.loads(path.read_text())
        return int(saved["size"]), base64.b64decode(saved["root"])

    def _store(self, origin: str, size: int, root: bytes, note: str) -> None:
        path = self._path(origin)
        path.parent.mkdir(mode=0o700, exist_ok=True)
        saved = {"origin": origin, "size": size, "root": base64.b64encode(root).decode()}
        _write_atomically(path, json.dumps({**saved, "checkpoint": note}).encode())

    def add_checkpoint(self, body: bytes) -> Answer:
        try:
            old, proof, note_text = parse_request(body)
            note = parse_note(note_text)
            checkpoint = parse_checkpoint(note.body)
        except (NoteMalformed, UnicodeDecodeError) as e:
            return Answer(400, f"malformed request: {e}\n")
        trusted = self.logs.get(checkpoint.origin)
        if trusted is None:
            return Answer(404, "unknown log origin\n")
        try:
            verify_note(note_text, trusted)
        except NoteRejected as e:
            return Answer(403, f"{e}\n")
        if old > checkpoint.size:
            return Answer(400, "the old size exceeds the checkpoint's size\n")
        if checkpoint.size == 0 and checkpoint.root != EMPTY_ROOT:
            return Answer(422, "an empty tree has the empty root\n")
        with self._lock:
            size, root = self.stored(checkpoint.origin)
            if old != size:
                return Answer(409, f"{size}\n", SIZE_TYPE)
            try:
                verify_consistency(old, checkpoint.size, root, checkpoint.root, proof)
            except ProofFailed as e:
                return Answer(422, f"{e}\n")
            line = cosign(note.body, self.signer, int(time.time()))
            self._store(checkpoint.origin, checkpoint.size, checkpoint.root, note_text)
        return Answer(200, line)


def parse_request(body: bytes) -> tuple[int, list[bytes], str]:
    """``old <size>``, up to 63 base64 proof hashes, a blank line, then the checkpoint note."""
    text = body.decode("utf-8")
    head, blank, note = text.partition("\n\n")
    if not blank:
        raise NoteMalformed("the request has no blank line before the checkpoint")
    lines = head.split("\n")
    if not lines[0].startswith("old "):
        raise NoteMalformed("the request starts with an old size line")
    old = decimal(lines[0].removeprefix("old "), "the old size")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise NoteMalformed(f"at most {MAX_PROOF_LINES} proof lines")
    proof = [unb64(line, "a proof line") for line in lines[1:]]
    if any(len(h) != 32 for h in proof):
        raise NoteMalformed("a proof line is a 32-byte hash")
    return old, proof, note


def load_signer(state: Path, name: str | None = None) -> Signer:
    """The witness's key and name, created at the first start (key file mode 0600). A name
    is part of the witness's identity (its key id), so a different one later is refused."""
    state.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_path, name_path = state / "key.pem", state / "name"
    if not key_path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        _create_once(key_path, pem, 0o600)
    if key_path.stat().st_mode & 0o077:
        raise typer.BadParameter(f"{key_path.name} must be readable by its owner only")
    if not name_path.exists():
        chosen = name or f"witness.{socket.gethostname()}"
        if not valid_key_name(chosen):
            raise typer.BadParameter(f"{chosen!r} is not a valid key name")
        _create_once(name_path, chosen.encode(), 0o644)
    stored = name_path.read_text()
    if name is not None and name != stored:
        raise typer.BadParameter(f"this witness is named {stored!r}, not {name!r}")
    loaded = load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise typer.BadParameter("the witness key is not an Ed25519 key")
    return Signer(stored, loaded)


def create_app(witness: Witness) -> Any:
    from fastapi import FastAPI
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import Response

    async def add_checkpoint(request: Request) -> Response:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return Response("request too large\n", 413, media_type="text/plain")
        answer = await run_in_threadpool(witness.add_checkpoint, bytes(body))
        return Response(answer.body, answer.status, headers={"Content-Type": answer.content_type})

    app = FastAPI(title="casework witness", openapi_url=None, docs_url=None, redoc_url=None)
    app.add_route("/add-checkpoint", add_checkpoint, methods=["POST"])  # the body is the text
    return app


def _logs(vkeys: list[str], origin: str | None) -> dict[str, list[Verifier]]:
    logs: dict[str, list[Verifier]] = {}
    for vkey in vkeys:
        try:
            verifier = Verifier.from_vkey(vkey)
        except NoteMalformed as e:
            raise typer.BadParameter(f"--log {vkey}: {e}") from e
        logs.setdefault(origin or verifier.name, []).append(verifier)
    return logs


def _lock_state(state: Path) -> int:
    """Hold an exclusive lock on the state for the life of the process: two witness processes
    on one state would each check the size alone and could roll it back."""
    state.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(state / "lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as e:
        raise typer.BadParameter("another witness is running on this state") from e
    return fd


witness_cli = typer.Typer(help="An independent witness co-signing log checkpoints.")
State = Annotated[Path, typer.Option("--state", help="The witness's own state directory.")]
Name = Annotated[str | None, typer.Option("--name", help="Key name, fixed at first start.")]


@witness_cli.command()
def serve(
    state: State,
    log: Annotated[list[str], typer.Option("--log", help="A witnessed log's verifier key.")],
    origin: Annotated[
        str | None, typer.Option(help="The logs' origin (default: key name).")
    ] = None,
    name: Name = None,
    host: str = "127.0.0.1",
    port: int = 8080,
) -> None:
    """Serve POST /add-checkpoint for the given logs."""
    import signal
    import sys

    import uvicorn

    lock = _lock_state(state)
    witness = Witness(state, _logs(log, origin), name)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # uvicorn re-raises it after stopping
    typer.echo(witness.signer.cosignature_vkey(), err=False)
    try:
        uvicorn.run(create_app(witness), host=host, port=port, log_level="warning")
    finally:
        os.close(lock)


@witness_cli.command()
def key(state: State, name: Name = None) -> None:
    """Print the witness's verifier key (creating its key at the first call)."""
    typer.echo(load_signer(state, name).cosignature_vkey())
