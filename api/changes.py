"""Hearing PostgreSQL's change notices, for what an API process keeps between requests.

The process keeps some reads between requests (principals: ``api.principals``; the posting
check's reads: ``api.consent_cache``). Each keeper is told by a trigger's notice on its channel
the moment what it keeps goes stale, in whichever process the change was saved. One thread per
process listens on every keeper's channel, on one connection.

A keeper keeps nothing unless it is being told: it is enabled only once its channel is being
listened to, and disabled (everything it kept forgotten) whenever the connection drops, until the
listener is back. So a change can never be missed, only read again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)
APPLICATION_NAME = "casework-changes"


class Keeper(Protocol):
    """What a process keeps between requests, told of changes by notices on one channel."""

    def enable(self) -> None:
        """Keep from now on (changes are being heard)."""

    def disable(self) -> None:
        """Forget everything and keep nothing until enabled again."""

    def heard(self, payload: str) -> None:
        """A notice: forget whatever it names as changed."""


class Keeping:
    """What every keeper shares: a switch (nothing is kept while changes cannot be heard) and a
    generation count, moved on by every change heard (a read that overlaps one is not kept)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = 0
        self._enabled = False

    @property
    def enabled(self) -> bool:
        return self._enabled

    def enable(self) -> None:
        """Keep from now on (call once changes are being heard)."""
        self._reset(enabled=True)

    def disable(self) -> None:
        """Forget everything and keep nothing until enabled again."""
        self._reset(enabled=False)

    def forget_everything(self) -> None:
        """Forget everything kept and carry on keeping: told of a change too wide to name
        (an erasure)."""
        with self._lock:
            self._generation += 1
            self._forget_all()

    def _may_keep(self, generation: int) -> bool:
        """Under the lock: whether a read begun at ``generation`` may be kept."""
        return self._enabled and self._generation == generation

    def _forget_all(self) -> None:
        """Under the lock: forget everything kept."""
        raise NotImplementedError

    def _reset(self, *, enabled: bool) -> None:
        with self._lock:
            self._generation += 1
            self._forget_all()
            self._enabled = enabled


ERASURE_CHANNEL = "casework_erasure"


class Erasures:
    """The keeper told of each destroyed data key (migration 0041's trigger, on
    ``casework_erasure``): the keyring forgets that key (``Keyring.heard``), and whatever else
    the process keeps that an erasure may make stale is forgotten whole (``forget``: each
    called once per notice). Erasures are rare; reading again is cheap."""

    def __init__(self, keyring: Keeper, forget: Sequence[Callable[[], None]]) -> None:
        self._keyring = keyring
        self._forget = tuple(forget)

    def enable(self) -> None:
        self._keyring.enable()

    def disable(self) -> None:
        self._keyring.disable()

    def heard(self, payload: str) -> None:
        self._keyring.heard(payload)
        for forget in self._forget:
            forget()


class ChangeListener:
    """A thread that listens on each keeper's channel and hands it the notices; the keepers are
    enabled only while it listens."""

    def __init__(
        self, conninfo: str, keepers: dict[str, Keeper], retry_seconds: float = 2.0
    ) -> None:
        self._conninfo = conninfo
        self._keepers = keepers
        self._retry = retry_seconds
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="changes", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._disable()

    def _disable(self) -> None:
        for keeper in self._keepers.values():
            keeper.disable()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                with psycopg.connect(
                    self._conninfo, autocommit=True, application_name=APPLICATION_NAME
                ) as conn:
                    for channel in self._keepers:
                        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    # Only now: anything committed from here on will be heard.
                    for each in self._keepers.values():
                        each.enable()
                    self.listening.set()
                    while not self._stopping.is_set():
                        for notice in conn.notifies(timeout=1.0):
                            told = self._keepers.get(notice.channel)
                            if told is not None:
                                told.heard(notice.payload)
            except psycopg.Error as error:
                log.warning("not hearing changes (%s): nothing is kept between requests", error)
            finally:
                self.listening.clear()
                self._disable()
            self._stopping.wait(self._retry)
