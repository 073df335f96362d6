"""Per-request context: who is asking, one database connection, and the reads to log."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any
from uuid import UUID

from psycopg import Connection

from api.access_log import AccessOutcome, Read, append
from api.auth import Identity
from api.positions import ViewPositions
from api.wiring import Container
from domain.shared.errors import NotAuthorised, Refusal
from domain.shared.policy import Action, Principal, Target, authorise, reach, schools_in_trust
from domain.shared.sealing import ERASED, Erased, Sealed
from projections.common import Visibility
from projections.directory import queries as directory

if TYPE_CHECKING:
    from api.graphql.survey import Survey


class Context:
    def __init__(
        self,
        container: Container,
        identity: Identity,
        positions: ViewPositions | None = None,
        request_id: str | None = None,
    ) -> None:
        self.container = container
        self.identity = identity
        self._positions = positions
        self.request_id = request_id  # the HTTP request's, for its log lines and masked errors
        self._principal: Principal | None = None
        self._conn: Connection[Any] | None = None
        self._stack = ExitStack()
        self.reads: list[Read] = []
        # Set once a field has waited for the views (``minPosition``): from then on this request
        # reads them, not what the process keeps between requests.
        self.fresh = False
        self._names: dict[UUID, str | Erased | None] = {}
        # What the executor read from the document before running it (api.graphql.survey), so
        # that the node limit does not walk it again; None if it could not be read.
        self.survey: Survey | None = None
        self.surveyed = False

    @property
    def principal(self) -> Principal:
        """Loaded on first use (see ``api.principals`` for how it is kept fresh)."""
        if self._principal is None:
            self._principal = self.container.principal_for(self.identity)
        return self._principal

    def positions(self) -> ViewPositions:
        """The views' positions this request waited for before it ran (``minPosition``:
        ``api.graphql.execution``); if it did not wait, as they are now, read once."""
        if self._positions is None:
            self._positions = self.container.positions_now()
        return self._positions

    @cached_property
    def login_ix(self) -> bytes:
        """The blind index of the caller's login, to match views' ``<name>_ix`` columns."""
        return self.container.blind_index.login(self.identity.user_id)

    @property
    def conn(self) -> Connection[Any]:
        if self._conn is None:
            self._conn = self._stack.enter_context(self.container.pool.connection())
        return self._conn

    def authorise(self, action: Action, target: Target) -> None:
        authorise(self.principal, action, target)

    def visibility(self, action: Action) -> Visibility:
        r = reach(self.principal, action)
        return Visibility(r.trust_ids, r.school_ids, r.excluded_subjects)

    def trust_schools(self, action: Action, trust_id: UUID) -> list[UUID] | None:
        """Where in ``trust_id`` the reader may perform ``action`` (``schools_in_trust``)."""
        return schools_in_trust(self.principal, action, trust_id)

    def log_read(
        self,
        action: str,
        record_type: str,
        record_id: UUID,
        target: Target,
        outcome: AccessOutcome = AccessOutcome.READ,
    ) -> None:
        self.reads.append(
            Read(
                action,
                record_type,
                record_id,
                target.trust_id,
                target.school_id,
                target.subject_ids,
                outcome,
            )
        )

    @contextmanager
    def reading(
        self, action: str, record_type: str, record_id: UUID, target: Target
    ) -> Iterator[None]:
        """Around the authorisation of a read of one restricted record: a refusal is written to
        the access log (with the request's reads, even though the read fails)."""
        try:
            yield
        except NotAuthorised:
            self.log_read(action, record_type, record_id, target, AccessOutcome.REFUSED)
            raise

    def log_refusal(self, command: str, refusal: Refusal) -> None:
        """A command refused on a restricted record, as evidence of the attempt."""
        self.reads.append(
            Read(
                command,
                refusal.record_type,
                refusal.record_id,
                refusal.trust_id,
                refusal.school_id,
                refusal.subject_ids,
                AccessOutcome.REFUSED,
            )
        )

    def open_all(self, values: list[Sealed | None]) -> list[str | Erased | None]:
        present = [v for v in values if v is not None]
        opened = iter(self.container.keyring.open_many(present))
        return [None if v is None else next(opened) for v in values]

    def names_of(self, person_ids: list[UUID]) -> dict[UUID, str | Erased | None]:
        """People's names, opened; one query and one key look-up for every id not yet seen in
        this request (a page of incidents asks once, not once per incident)."""
        missing = [i for i in dict.fromkeys(person_ids) if i not in self._names]
        if missing:
            sealed = directory.names_of(self.conn, missing)
            opened = self.open_all([sealed.get(i) for i in missing])
            self._names.update(
                (i, ERASED if i in sealed and sealed[i] is None else name)
                for i, name in zip(missing, opened, strict=True)
            )
        return {i: self._names[i] for i in person_ids}

    def finish(self) -> None:
        """Write the access log for this request, then release the connection.

        Commands save through the application's own connections, so a refused command's entry
        here is committed whatever became of the command."""
        try:
            if self.reads:
                append(self.conn, self.container.logins, self.identity.user_id, self.reads)
        finally:
            self._stack.close()
            self._conn = None


@contextmanager
def request_context(
    container: Container,
    identity: Identity,
    positions: ViewPositions | None = None,
    request_id: str | None = None,
) -> Iterator[Context]:
    """A request's context, holding one of the process's execution slots (``api.slots``)."""
    with container.slots.held():
        context = Context(container, identity, positions, request_id)
        try:
            yield context
        finally:
            context.finish()
