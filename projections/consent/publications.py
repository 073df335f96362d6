"""The consent view's registers: the school's official channels and their posters, the
publication log and the takedown queue. (The answers are read in ``queries``.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from psycopg import Connection

from domain.shared.sealing import Sealed
from projections.common import Page, fetch_page, from_row

# --- channels ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelPosterRow:
    """An authorisation to post, as the register shows it (the login sealed with its own key;
    None once erased)."""

    staff_member_id: UUID
    user_id: Sealed | None
    authorised_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class ChannelRow:
    channel_id: UUID
    trust_id: UUID
    school_id: UUID
    kind: str
    platform: Sealed | None
    account_name: Sealed | None
    master_administrator_id: UUID
    purpose: Sealed
    opened_on: date
    closed_on: date | None
    close_reason: Sealed | None
    risk_assessment_approved_by: Sealed | None
    risk_assessment_approver: str
    risk_assessment_approved_on: date
    mfa_enabled: bool
    opened_by: Sealed | None
    version: int
    posters: tuple[ChannelPosterRow, ...]


_POSTER = "poster_"  # the poster columns of a channel row, by the names of ChannelPosterRow


def _poster(r: Any) -> ChannelPosterRow:
    return from_row(
        ChannelPosterRow, {k[len(_POSTER) :]: v for k, v in r.items() if k.startswith(_POSTER)}
    )


def _channels(conn: Connection[Any], where: str, value: UUID) -> list[ChannelRow]:
    """Channels with their posters in one statement: a row per channel and poster."""
    rows = conn.execute(
        "SELECT c.*, p.staff_member_id AS poster_staff_member_id, p.user_id AS poster_user_id, "
        "p.authorised_at AS poster_authorised_at, p.revoked_at AS poster_revoked_at "
        "FROM cs_channels c LEFT JOIN cs_posters p ON p.channel_id = c.channel_id "
        f"WHERE c.{where} = %s ORDER BY c.seq, p.seq",
        (value,),
    ).fetchall()
    found: dict[UUID, tuple[Any, list[ChannelPosterRow]]] = {}
    for r in rows:
        _, posters = found.setdefault(r["channel_id"], (r, []))
        if r["poster_staff_member_id"] is not None:
            posters.append(_poster(r))
    return [from_row(ChannelRow, r, posters=tuple(posters)) for r, posters in found.values()]


def channel(conn: Connection[Any], channel_id: UUID) -> ChannelRow | None:
    found = _channels(conn, "channel_id", channel_id)
    return found[0] if found else None


def channels(conn: Connection[Any], school_id: UUID) -> list[ChannelRow]:
    return _channels(conn, "school_id", school_id)


# --- publications and takedowns ----------------------------------------------------------------


@dataclass(frozen=True)
class PublicationRow:
    publication_id: UUID
    trust_id: UUID
    school_id: UUID
    channel_id: UUID
    channel: str
    posted_at: datetime
    media: tuple[str, ...]
    pupil_ids: tuple[UUID, ...]
    identifiable: bool
    caption_names_anyone: bool
    posted_by: Sealed | None
    recorded_by: Sealed | None
    recorded_at: datetime
    description: Sealed | None
    link: Sealed | None
    needs_approval: bool
    approved_by: Sealed | None
    approved_at: datetime | None
    removed: bool
    takedown_pending: bool
    version: int


_PUBLICATION = (
    "SELECT u.*, ARRAY(SELECT pp.pupil_id FROM cs_publication_pupils pp "
    "WHERE pp.publication_id = u.publication_id ORDER BY pp.pupil_id) AS pupil_ids, "
    "EXISTS (SELECT 1 FROM cs_takedowns t WHERE t.publication_id = u.publication_id "
    "AND t.outcome IS NULL) AS takedown_pending FROM cs_publications u"
)


def _publication(r: Any) -> PublicationRow:
    return from_row(PublicationRow, r)


def publications(
    conn: Connection[Any],
    school_id: UUID,
    channel_id: UUID | None,
    pupil_id: UUID | None,
    first: int,
    after: int | None,
) -> Page[PublicationRow]:
    where = ["u.school_id = %s"]
    params: list[Any] = [school_id]
    if channel_id is not None:
        where.append("u.channel_id = %s")
        params.append(channel_id)
    if pupil_id is not None:
        where.append(
            "EXISTS (SELECT 1 FROM cs_publication_pupils pp "
            "WHERE pp.publication_id = u.publication_id AND pp.pupil_id = %s)"
        )
        params.append(pupil_id)
    return fetch_page(conn, _PUBLICATION, where, params, _publication, first, after, "u.seq")


@dataclass(frozen=True)
class TakedownRow:
    publication_id: UUID
    pupil_id: UUID
    channel_id: UUID
    channel: str
    posted_at: datetime
    media: tuple[str, ...]
    link: Sealed | None
    requested_at: datetime
    withdrawal_received_at: datetime
    outcome: str | None
    reason: Sealed | None
    done_at: datetime | None
    done_by: Sealed | None


def _takedown(r: Any) -> TakedownRow:
    return from_row(TakedownRow, r)


def takedowns(
    conn: Connection[Any], school_id: UUID, include_closed: bool, first: int, after: int | None
) -> Page[TakedownRow]:
    where = ["t.school_id = %s"]
    if not include_closed:
        where.append("t.outcome IS NULL")
    return fetch_page(
        conn,
        "SELECT t.*, u.channel_id, u.channel, u.posted_at, u.media, u.link "
        "FROM cs_takedowns t JOIN cs_publications u USING (publication_id)",
        where,
        [school_id],
        _takedown,
        first,
        after,
        "t.seq",
    )
