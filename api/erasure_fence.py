"""The erasure fence: every destroyed data key's subject, listed outside the database.

Destroying a subject's data key erases their sealed fields everywhere, backups of the database
included: unless a backup taken before the erasure is restored, which brings the key back. So
the subjects whose keys were destroyed are also written to a file of their own (the fence,
``CASEWORK_ERASURE_FENCE``, by default ``<data dir>/erasure-fence``), which is backed up apart
from the database and never restored with it; every start that opens the store destroys again
any key the fence lists that the database still holds (:func:`apply_fence`), before any worker
or request can read a key (``api.wiring.open_store``). docs/rules.md §9.5.

The fence is written first: an erasure is appended and flushed to disk (:meth:`ErasureFence.add`)
before its keys are destroyed, so a crash in between leaves a fenced key that the next start
destroys, never a destroyed key that a restore could bring back. The file is one subject id a
line (``-<id>``: an erasure withdrawn because its transaction rolled back), appended under an
exclusive lock (two processes may erase at once), mode 0600. It holds ids only: random record
ids and the hashed ids of logins, nothing a person could be read from.

A fence that exists but cannot be read or parsed refuses the start, in one line naming the
file: ignoring it could let a restored key be read.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from uuid import UUID

from psycopg import Connection
from psycopg.rows import DictRow
from psycopg_pool import ConnectionPool

from api.settings import InsecureConfiguration
from domain.shared.sealing import Keyring
from domain.shared.system_keys import SYSTEM_SUBJECTS

log = logging.getLogger(__name__)

Conn = Connection[DictRow]
Pool = ConnectionPool[Connection[DictRow]]

HEADER = (
    "# casework erasure fence: the subject of each destroyed data key, one a line. Append only; "
    "back it up apart from the database and never restore it with one.\n"
)
# What a line torn by a crash in the middle of an append can look like: part of an id. Its
# erasure never went further (the keys are destroyed only once the fence is on disk).
_TORN = re.compile(r"-?[0-9a-f-]{0,35}")


class FenceUnreadable(InsecureConfiguration):
    """The fence exists but cannot be read or parsed: the service refuses to start."""


class FenceUnwritable(RuntimeError):
    """An erasure could not be written to the fence, so nothing was destroyed."""


class NotASubjectsKey(ValueError):
    """The system's own keys (the blind-index key, the ledger's keys) are nobody's data and are
    never destroyed (as ``Keyring.destroy`` refuses)."""

    def __init__(self, subject_id: UUID) -> None:
        super().__init__(f"the key of {subject_id} is not a subject's and is never destroyed")


class ErasureFence:
    """The fence file at ``path`` (it need not exist yet: no erasure has been made)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def add(self, subject_ids: Iterable[UUID]) -> None:
        """Append these subjects, durably (flushed to disk, and the file's directory entry with
        it when the file is new), before their keys are destroyed."""
        self._append([str(subject_id) for subject_id in _erasable(subject_ids)])

    def _append(self, entries: list[str]) -> None:
        if not entries:
            return
        lines = "".join(f"{entry}\n" for entry in entries).encode("ascii")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            created = not self.path.exists()
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)  # released when closed
                size = os.fstat(fd).st_size
                if size == 0:
                    lines = HEADER.encode("ascii") + lines
                elif os.pread(fd, 1, size - 1) != b"\n":
                    # a torn line from an append that crashed: drop it (its erasure went no
                    # further) so that it cannot join the id written after it
                    content = os.pread(fd, size, 0)
                    os.ftruncate(fd, content.rfind(b"\n") + 1)
                _write_all(fd, lines)
                os.fsync(fd)
            finally:
                os.close(fd)
            if created:
                _fsync_directory(self.path.parent)
        except OSError as error:
            raise FenceUnwritable(
                f"cannot write the erasure fence {self.path} "
                f"({error.strerror or type(error).__name__}): nothing was destroyed; check "
                "CASEWORK_ERASURE_FENCE"
            ) from None

    def withdraw(self, subject_ids: Iterable[UUID]) -> None:
        """Record that these subjects' erasure did not happen after all: the transaction of
        :func:`fence_then_destroy` was rolled back (known not to have committed). A withdrawal
        cancels one addition only, so a subject fenced by an earlier erasure stays fenced.
        Never for an erasure whose outcome is unknown (a lost connection at commit): left
        fenced, the next start completes it."""
        self._append([f"-{subject_id}" for subject_id in _erasable(subject_ids)])

    def subject_ids(self) -> frozenset[UUID]:
        """Every subject the fence lists; none if there is no fence yet."""
        try:
            text = self.path.read_bytes().decode("ascii")
        except FileNotFoundError:
            return frozenset()
        except UnicodeDecodeError:
            raise self._unreadable("is not a fence (it is not ASCII text)") from None
        except OSError as error:
            raise self._unreadable(
                f"cannot be read ({error.strerror or type(error).__name__})"
            ) from None
        lines = text.split("\n")
        tail = lines.pop()  # "" when the file ends with a newline, as every append leaves it
        if tail and not _TORN.fullmatch(tail):
            lines.append(tail)  # not torn: parsed (and refused) like any other line
        fenced: Counter[UUID] = Counter()
        for number, line in enumerate(lines, start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            withdrawn = line.startswith("-")
            try:
                subject_id = UUID(line.removeprefix("-"))
            except ValueError:
                raise self._unreadable(f"line {number} is not a subject id") from None
            if subject_id in SYSTEM_SUBJECTS:
                raise self._unreadable(
                    f"line {number} names a key of the system's own, which is never erased"
                )
            fenced[subject_id] += -1 if withdrawn else 1
        return frozenset(s for s, times in fenced.items() if times > 0)

    def _unreadable(self, problem: str) -> FenceUnreadable:
        return FenceUnreadable(
            f"the erasure fence {self.path} (CASEWORK_ERASURE_FENCE) {problem}: restore it from "
            "its own backup; never delete it"
        )


def fence_then_destroy(conn: Conn, fence: ErasureFence, subject_ids: Iterable[UUID]) -> int:
    """Fence these subjects, then destroy their data keys on ``conn``: inside the caller's open
    transaction if there is one (committed with it: the erasure's event and the destruction
    together), else in a transaction of its own, committed. Subjects with no key yet get a
    destroyed one, so none can be made for them later. Returns how many keys were live.

    Once the caller's transaction has committed, it calls ``keyring.forget(subject_ids)`` so
    that this process stops opening their fields at once (:func:`destroy_keys` does). If it was
    rolled back instead, it calls ``fence.withdraw(subject_ids)``; otherwise the next start
    destroys the keys of an erasure that was never recorded."""
    ids = _erasable(subject_ids)
    if not ids:
        return 0
    fence.add(ids)
    return _destroy(conn, ids)


def destroy_keys(
    pool_or_conn: Pool | Conn, keyring: Keyring, fence: ErasureFence, subject_ids: Iterable[UUID]
) -> int:
    """Fence these subjects, destroy their data keys and commit (on an autocommit connection or
    a pool's), and forget them in this process's keyring: their sealed fields read as erased
    from now on. Returns how many keys were live."""
    ids = _erasable(subject_ids)
    if isinstance(pool_or_conn, ConnectionPool):
        with pool_or_conn.connection() as conn:
            destroyed = fence_then_destroy(conn, fence, ids)
    else:
        destroyed = fence_then_destroy(pool_or_conn, fence, ids)
    keyring.forget(ids)
    return destroyed


def apply_fence(pool: Pool, fence: ErasureFence) -> int:
    """Destroy every key the fence lists that the database still holds (a backup taken before
    an erasure was restored); returns how many. Called at every start that opens the store,
    before anything reads a key."""
    ids = sorted(fence.subject_ids())
    if not ids:
        return 0
    with pool.connection() as conn:
        destroyed = _destroy(conn, ids)
    if destroyed:
        log.warning(
            "the erasure fence lists %d data key(s) the database still held (restored from a "
            "backup taken before their erasure?): destroyed again",
            destroyed,
        )
    return destroyed


def _erasable(subject_ids: Iterable[UUID]) -> list[UUID]:
    """The ids once each, in order; a system key's id is refused before anything is written."""
    ids = list(dict.fromkeys(subject_ids))
    for subject_id in ids:
        if subject_id in SYSTEM_SUBJECTS:
            raise NotASubjectsKey(subject_id)
    return ids


def _destroy(conn: Conn, ids: list[UUID]) -> int:
    with conn.transaction():
        row = conn.execute(
            "SELECT count(*) AS live FROM (SELECT 1 FROM data_keys "
            "WHERE subject_id = ANY(%s) AND wrapped_key IS NOT NULL FOR UPDATE) AS locked",
            (ids,),
        ).fetchone()
        conn.execute(
            "INSERT INTO data_keys (subject_id, wrapped_key, destroyed_at) "
            "SELECT s, NULL, now() FROM unnest(%s::uuid[]) AS s WHERE NOT EXISTS "
            "(SELECT 1 FROM data_keys d WHERE d.subject_id = s AND d.wrapped_key IS NULL) "
            "ON CONFLICT (subject_id) DO UPDATE SET wrapped_key = NULL, destroyed_at = now() "
            "WHERE data_keys.wrapped_key IS NOT NULL",
            (ids,),
        )
    return int(row["live"]) if row else 0


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
