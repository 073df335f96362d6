"""The posting check's reads kept between requests, and dropped the moment they go stale.

A posting check reads a channel (and the caller's authorisations on it) and, for each pupil in
the image, every decision about the medium and that kind of channel. From those the domain's
rule answers for the instant asked, on every request (``projections.consent.queries``): what
is kept is what the view holds, never an answer, so an answer that changes with time alone (an
authorisation that runs out, a pupil's last day) is right at every instant.

What is kept is dropped when the consent view changes it: the trigger of migration 0012 sends a
notice on ``casework_consent`` for each pupil, channel or poster row a projection writes, and
PostgreSQL delivers it when that write commits, to every API process (``api.changes``). So a
check reads the view as it stood at most a notice's delivery ago: the view itself follows the
event store by the projection's lag, and a request that must see its own write (``minPosition``)
does not use what is kept at all. The notice may arrive after a write commits and before the
process hears it; a load that overlaps a notice is not kept (a generation count). Nothing is
kept while notices cannot be heard.

``recordPublication`` never reads any of this: it checks consent on the event store's records.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from uuid import UUID

from psycopg import Connection

from api.changes import Keeping
from projections.consent.queries import PostingChannel, PupilHistory, posting_sources

log = logging.getLogger(__name__)
CHANNEL = "casework_consent"
PupilKey = tuple[str, str]  # a medium and a kind of channel


class PostingCheckCache(Keeping):
    """Channels as each caller reads them (by the blind index of their login, which the view
    matches), and pupils' histories per medium and kind of channel; at most ``maxsize``
    pupils, the least recently checked going first."""

    def __init__(self, maxsize: int = 20_000) -> None:
        super().__init__()
        self._maxsize = maxsize
        self._channels: dict[UUID, dict[bytes | None, PostingChannel]] = {}
        self._pupils: OrderedDict[UUID, dict[PupilKey, PupilHistory]] = OrderedDict()

    def read(
        self,
        conn: Callable[[], Connection[Any]],
        channel_id: UUID,
        user_id: str,
        pupil_ids: list[UUID],
        medium: str,
        *,
        fresh: bool = False,
        user_id_ix: bytes | None = None,
    ) -> tuple[PostingChannel | None, dict[UUID, PupilHistory]]:
        """As :func:`projections.consent.queries.posting_sources`: from what is kept if it holds
        the channel for this caller and every pupil, else read (on ``conn()``) and kept.
        ``user_id_ix``: the blind index of ``user_id``, computed once per request (without it
        the caller's authorisations to post are not read). ``fresh``: read, whatever is kept."""
        with self._lock:
            if self._enabled and not fresh:
                kept = self._kept(channel_id, user_id_ix, pupil_ids, medium)
                if kept is not None:
                    return kept
            generation = self._generation
        channel, pupils = posting_sources(
            conn(), channel_id, user_id, user_id_ix, pupil_ids, medium
        )
        if channel is not None:
            self._keep(generation, user_id_ix, channel, pupils, medium)
        return channel, pupils

    def _kept(
        self, channel_id: UUID, user_id_ix: bytes | None, pupil_ids: list[UUID], medium: str
    ) -> tuple[PostingChannel, dict[UUID, PupilHistory]] | None:
        channel = self._channels.get(channel_id, {}).get(user_id_ix)
        if channel is None:
            return None
        key = (medium, channel.kind)
        pupils = {}
        for pupil_id in pupil_ids:
            history = self._pupils.get(pupil_id, {}).get(key)
            if history is None:
                return None
            pupils[pupil_id] = history
        for pupil_id in pupil_ids:
            self._pupils.move_to_end(pupil_id)
        return channel, pupils

    def _keep(
        self,
        generation: int,
        user_id_ix: bytes | None,
        channel: PostingChannel,
        pupils: dict[UUID, PupilHistory],
        medium: str,
    ) -> None:
        with self._lock:
            if not self._may_keep(generation):
                return  # a change was heard while this was read: it may be stale already
            self._channels.setdefault(channel.channel_id, {})[user_id_ix] = channel
            key = (medium, channel.kind)
            for pupil_id, history in pupils.items():
                self._pupils.setdefault(pupil_id, {})[key] = history
                self._pupils.move_to_end(pupil_id)
            while len(self._pupils) > self._maxsize:
                self._pupils.popitem(last=False)

    def holds(self, *, pupil_id: UUID | None = None, channel_id: UUID | None = None) -> bool:
        """Whether anything is kept for the pupil or the channel now."""
        with self._lock:
            return (pupil_id is not None and pupil_id in self._pupils) or (
                channel_id is not None and channel_id in self._channels
            )

    def heard(self, payload: str) -> None:
        """A notice on ``casework_consent``: ``pupil:<id>``, ``channel:<id>`` or ``*``."""
        kind, _, value = payload.partition(":")
        try:
            changed = UUID(value) if kind in ("pupil", "channel") else None
        except ValueError:
            changed = None
        with self._lock:
            self._generation += 1
            if changed is None:  # everything changed, or not from our trigger: forget it all
                if payload != "*":
                    log.warning("unexpected notice on %s: %r", CHANNEL, payload)
                self._forget_all()
            elif kind == "pupil":
                self._pupils.pop(changed, None)
            else:
                self._channels.pop(changed, None)

    def _forget_all(self) -> None:
        self._pupils.clear()
        self._channels.clear()
