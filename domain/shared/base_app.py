"""What every command mixin shares: repository access, sealing and atomic saving.

The ground floor: it knows no feature. What it needs from one (who a user is, a school's
tenancy, a login's link to a person record) it declares as a hook, which that feature's handler
mixin implements (``domain/access/handlers.py``, ``domain/directory/handlers.py``)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, JSONTranscoder

from domain.shared.actor import current_principal
from domain.shared.aggregate import CaseworkAggregate
from domain.shared.errors import (
    Concealed,
    DomainError,
    NotAuthorised,
    NotFound,
    Refusal,
    VersionConflict,
)
from domain.shared.idempotency import current_claim
from domain.shared.policy import Action, Principal, Target, authorise, permits
from domain.shared.sealing import Keyring
from domain.shared.transcodings import register_casework_transcodings

A = TypeVar("A", bound=CaseworkAggregate)
T = TypeVar("T")

# How often a command that lost a race, and was given no expected version, is run again, and
# the base of the jittered pause before each new attempt (doubled each time).
RETRY_ATTEMPTS = 8
RETRY_PAUSE_SECONDS = 0.005
# How long a command run again waits for its turn at the records it lost a race for.
TURN_WAIT_SECONDS = 10.0


class ConcurrentWrite(VersionConflict):
    """Another writer recorded an event for the same record first. ``guarded``: the command
    was given an expected version, so the caller, not the server, decides what to do."""

    def __init__(self, guarded: bool = True, records: Iterable[UUID] = ()) -> None:
        Exception.__init__(self, "another change to this record was saved first; reload and retry")
        self.message = str(self)
        self.expected = -1
        self.actual = None
        self.guarded = guarded
        self.records = frozenset(records)  # those the lost save wrote to


class _Turns:
    """Turns at records, for commands run again after losing a race for them: in this process,
    one at a time per record, so that the losers of a race do not race each other again (each
    would lose to all but one, and many writers at one record could use up their attempts).
    Taken in the records' order, so two commands never wait for each other; a turn not had
    within :data:`TURN_WAIT_SECONDS` is a conflict (the caller is told, as before)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[UUID, tuple[threading.Lock, int]] = {}  # record -> (lock, users)

    @contextmanager
    def at(self, records: Iterable[UUID]) -> Iterator[None]:
        ordered = sorted(set(records))
        with self._guard:
            for record in ordered:
                lock, users = self._locks.get(record) or (threading.Lock(), 0)
                self._locks[record] = (lock, users + 1)
            locks = [self._locks[record][0] for record in ordered]
        try:
            with ExitStack() as held:
                for lock in locks:
                    if not lock.acquire(timeout=TURN_WAIT_SECONDS):
                        raise ConcurrentWrite(records=ordered)  # guarded: not run again
                    held.callback(lock.release)
                yield
        finally:
            with self._guard:
                for record in ordered:
                    lock, users = self._locks[record]
                    if users == 1:
                        del self._locks[record]
                    else:
                        self._locks[record] = (lock, users - 1)


_turns = _Turns()


class _Attempt:
    """One run of a command under :func:`retry_on_conflict`."""

    guarded = False


_attempt: ContextVar[_Attempt | None] = ContextVar("casework_command_attempt", default=None)


def retry_on_conflict(command: Callable[[], T], attempts: int = RETRY_ATTEMPTS) -> T:
    """Run ``command``, a whole command: load, authorise, check, record.

    When its save loses a race with another writer and no expected version was given (the
    caller asked for no version guard), it is run again from the start, on the fresh state:
    re-loaded, re-authorised and re-checked, so nothing is recorded that the checks would now
    refuse. At most ``attempts`` runs, with a jittered, doubling pause between them; each run
    after the first has its turn at the records it lost, one command at a time in this process.
    A command given an expected version answers the conflict at once: the caller decides.
    """
    lost: frozenset[UUID] = frozenset()
    for attempt in range(1, attempts + 1):
        token = _attempt.set(_Attempt())
        try:
            with _turns.at(lost):
                return command()
        except ConcurrentWrite as conflict:
            if conflict.guarded or attempt == attempts:
                raise
            lost |= conflict.records
        finally:
            _attempt.reset(token)
        time.sleep(random.uniform(0, RETRY_PAUSE_SECONDS * 2**attempt))
    raise AssertionError("unreachable")  # pragma: no cover


class CaseworkBase(Application[UUID]):
    name = "Casework"

    def __init__(self, keyring: Keyring, env: Mapping[str, str] | None = None) -> None:
        self.keyring = keyring
        super().__init__(env=env)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_casework_transcodings(transcoder)

    def get(
        self,
        cls: type[A],
        record_id: UUID,
        kind: str,
        *,
        read_only: bool = False,
    ) -> A:
        """Load an aggregate of ``cls`` or raise :class:`NotFound`.

        ``read_only`` skips the defensive copy of a cached aggregate: only for callers that
        never change it (authorisation look-ups), where the copy was most of the cost.
        A command acting on a record loads it with :meth:`open`, which authorises first.
        """
        try:
            aggregate: object = self.repository.get(record_id, deepcopy_from_cache=not read_only)
        except AggregateNotFoundError:
            raise NotFound(kind, record_id) from None
        if not isinstance(aggregate, cls):
            raise NotFound(kind, record_id)
        return aggregate

    def open(
        self,
        cls: type[A],
        record_id: UUID,
        kind: str,
        action: Action | Callable[[A], None],
        expected_version: int | None = None,
        *,
        view: Action | Callable[[A], None] | None = None,
        read_only: bool = False,
    ) -> A:
        """Load the record a command acts on: authorise first, then check the expected version.

        ``action`` is what the command does to the record: an action of the policy, decided on
        the record's tenancy and subjects, or a check that raises NotAuthorised. A refusal on a
        record the caller may not see (``view``, the same kinds of check; none given: nobody
        refused may see it) answers exactly as an unknown id would; one on a record they may see
        says NotAuthorised. A refusal on a restricted record names it for the access log.
        """
        aggregate = self.get(cls, record_id, kind, read_only=read_only)
        attempt = _attempt.get()
        if expected_version is not None and attempt is not None:
            attempt.guarded = True
        try:
            self._check(action, aggregate)
        except NotAuthorised as refused:
            error: DomainError = refused
            if not self._sees(view, aggregate):
                error = Concealed(kind, record_id)
            error.refusal = refusal_of(aggregate)
            raise error from None
        if expected_version is not None and aggregate.version != expected_version:
            raise VersionConflict(kind, record_id, expected_version, aggregate.version)
        return aggregate

    def _check(self, check: Action | Callable[[A], None], aggregate: A) -> None:
        if isinstance(check, Action):
            authorise(current_principal(), check, self.target_of(aggregate))
        else:
            check(aggregate)

    def _sees(self, view: Action | Callable[[A], None] | None, aggregate: A) -> bool:
        if view is None:
            return False
        try:
            self._check(view, aggregate)
        except NotAuthorised:
            return False
        return True

    @staticmethod
    def target_of(aggregate: CaseworkAggregate) -> Target:
        """What the policy decides on for a record: its tenancy and the people it is about."""
        return Target(aggregate.trust_id, aggregate.school_id, aggregate.subject_ids)

    def record(
        self,
        *aggregates: CaseworkAggregate,
        new_keys: Mapping[UUID, bytes] | None = None,
        blobs: Mapping[UUID, tuple[UUID, bytes]] | None = None,
    ) -> int:
        """Save the aggregates' pending events atomically; return the last position written.

        New data keys, and encrypted file contents (``blobs``: file id to owner and sealed
        bytes), are written in the same transaction as the events that refer to them, and so
        is the request's idempotency claim, by the first save that records anything, and the
        events' field digests for the ledger (:meth:`ledger_fields`).
        """
        keys = dict(new_keys or {})
        claim = current_claim()
        if claim is not None and claim.recorded:
            claim = None
        ledger = self.ledger_fields([e for a in aggregates for e in a.pending_events], keys)
        try:
            recordings = self.save(
                *aggregates, data_keys=keys, blobs=dict(blobs or {}), claim=claim, ledger=ledger
            )
        except IntegrityError:
            attempt = _attempt.get()
            raise ConcurrentWrite(
                guarded=attempt is None or attempt.guarded, records=(a.id for a in aggregates)
            ) from None
        if claim is not None and recordings:
            claim.recorded = True
        if keys:
            self.keyring.saved(keys)
        return max((r.notification.id or 0 for r in recordings), default=0)

    # --- hooks: implemented by the feature that owns the record --------------------------------

    def ledger_fields(
        self, events: Sequence[object], new_keys: Mapping[UUID, bytes]
    ) -> Mapping[tuple[UUID, int], tuple[str, str]]:
        """What the ledger's entries of ``events`` will say of their fields, computed while
        their values are at hand, by (aggregate id, version): (recorded-at, the salted field
        digests as canonical JSON). ``new_keys``: the wrapped data keys the command created
        (``domain/ledger/handlers.py``)."""
        raise NotImplementedError

    def principal_for(self, user_id: str) -> Principal:
        """Who ``user_id`` is now, from the record of grants (``domain/access/handlers.py``)."""
        raise NotImplementedError

    def linked_login(
        self, user_id: str, person_id: UUID, trust_id: UUID, school_id: UUID | None
    ) -> CaseworkAggregate:
        """The record of ``user_id``'s access, changed to make them the subject of the person
        record ``person_id``, to be saved with it (``domain/access/handlers.py``)."""
        raise NotImplementedError

    def school_target(self, school_id: UUID) -> Target:
        """The tenancy of a school (``domain/directory/handlers.py``)."""
        raise NotImplementedError

    def school_for(self, school_id: UUID, action: Action) -> Target:
        """The school a command acts in, once the caller is authorised to do ``action`` there.
        A school the caller may not see at all (none of their roles reaches it: another trust's,
        say) answers as an unknown one."""
        target = self.school_target(school_id)
        principal = current_principal()
        try:
            authorise(principal, action, target)
        except NotAuthorised:
            if permits(principal, Action.VIEW_SCHOOL, target):
                raise
            raise Concealed("School", school_id) from None
        return target


def refusal_of(aggregate: CaseworkAggregate) -> Refusal | None:
    """What the access log records of a command refused on ``aggregate``: the record, if it is
    a restricted one (None otherwise)."""
    if aggregate.record_type is None:
        return None
    return Refusal(
        aggregate.record_type,
        aggregate.id,
        aggregate.trust_id,
        aggregate.school_id,
        aggregate.subject_ids,
    )
