"""Principals kept between requests, and dropped the moment they go stale.

Loading who a user is (their grants and the records they are the subject of) is an event-store
read on every request; for a cheap query it was most of the cost. The API process keeps each
user's principal and forgets it as soon as their record of grants changes:

- at once, in the process that saved the change (``CaseworkBase.on_access_changed``);
- in every other process (more API replicas, ``casework trust create`` from a shell), when
  PostgreSQL's notice arrives: the trigger of migration 0011 sends one on ``casework_access``
  for each user-access event committed, and ``api.changes.ChangeListener`` hears them.

A principal is only ever kept while that listener is connected. If its connection drops, every
principal is forgotten and each request reads the record again until it is back, so a change
can never be missed. A load that overlaps a change is not kept (a generation count): only the
next request's read is.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from uuid import UUID

from api.changes import Keeping
from domain.access.aggregates import access_id_for
from domain.shared.policy import Principal

log = logging.getLogger(__name__)
CHANNEL = "casework_access"


class PrincipalCache(Keeping):
    """The principals of recent users, by user-access id; at most ``maxsize``."""

    def __init__(self, load: Callable[[str], Principal], maxsize: int = 10_000) -> None:
        super().__init__()
        self._load = load
        self._maxsize = maxsize
        self._entries: OrderedDict[UUID, Principal] = OrderedDict()

    def get(self, user_id: str) -> Principal:
        key = access_id_for(user_id)
        with self._lock:
            if self._enabled:
                kept = self._entries.get(key)
                if kept is not None:
                    self._entries.move_to_end(key)
                    return kept
            generation = self._generation
        principal = self._load(user_id)
        with self._lock:
            if self._may_keep(generation):
                self._entries[key] = principal
                if len(self._entries) > self._maxsize:
                    self._entries.popitem(last=False)
        return principal

    def holds(self, user_id: str) -> bool:
        """Whether ``user_id``'s principal is kept now."""
        with self._lock:
            return access_id_for(user_id) in self._entries

    def forget(self, access_ids: Iterable[UUID]) -> None:
        """Drop the changed users, and everyone whose grants came, along any chain of grants,
        from one of them: a grant carries the records of everyone up its chain
        (``Grant.granter_subjects``)."""
        changed = set(access_ids)
        with self._lock:
            self._generation += 1
            for key in [
                key
                for key, principal in self._entries.items()
                if key in changed
                or any(access_id_for(login) in changed for login in principal.granters)
            ]:
                del self._entries[key]

    def heard(self, payload: str) -> None:
        """A notice on ``casework_access``: the user-access id whose grants changed."""
        try:
            changed = UUID(payload)
        except ValueError:  # not from our trigger: forget everyone rather than guess
            log.warning("unexpected notice on %s: %r", CHANNEL, payload)
            self.enable()
            return
        self.forget([changed])

    def _forget_all(self) -> None:
        self._entries.clear()
