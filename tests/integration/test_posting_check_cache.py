"""The posting check's reads kept between requests (api/consent_cache.py): a change in the
consent view reaches the next check once it is heard, a read that must see its own write reads
the view, and nothing stale is kept."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

from api.consent_cache import CHANNEL, PostingCheckCache
from tests.conftest import LiveServer
from tests.integration.test_consent_api import ALL, CHANGED, Setting, give, withdraw
from tests.integration.test_consent_api import setting as setting  # the fixture
from tests.integration.test_principals import eventually

CHECK = (
    "query($c: ID!, $m: Medium!, $ps: [ID!]!, $pos: Position) { postingCheck(channelId: $c, "
    "media: $m, pupilIds: $ps, minPosition: $pos) { mayAppear mayNotAppear } }"
)


def check(s: Setting, position: str | None = None) -> Any:
    variables = {"c": s.channel, "m": "PHOTO", "ps": [s.pupil], "pos": position}
    return s.teacher.gql(CHECK, variables)


def may_appear(s: Setting, position: str | None = None) -> bool:
    return check(s, position)["data"]["postingCheck"]["mayAppear"] == [s.pupil]


def kept(s: Setting, cache: PostingCheckCache) -> bool:
    return cache.holds(pupil_id=UUID(s.pupil)) and cache.holds(channel_id=UUID(s.channel))


def given_and_kept(s: Setting, cache: PostingCheckCache) -> None:
    """Consent given, and a check that read it and kept what it read."""
    given = give(s.lead, s.pupil, s.parent, ALL)
    assert may_appear(s, given["position"]) and kept(s, cache)


def test_a_check_keeps_what_it_read(setting: Setting, live: LiveServer) -> None:
    s = setting
    given = give(s.lead, s.pupil, s.parent, ALL)

    assert may_appear(s, given["position"])

    assert kept(s, live.container.posting_cache)


def test_a_withdrawal_reaches_a_check_that_kept_the_pupil(
    setting: Setting, live: LiveServer
) -> None:
    s = setting
    given_and_kept(s, live.container.posting_cache)

    withdrawn = withdraw(s.lead, s.pupil, s.parent, ["PHOTO"])
    live.container.wait_for(["consent"], int(withdrawn["position"]))

    assert eventually(lambda: not may_appear(s))


def test_a_revoked_poster_is_refused_by_a_check_that_kept_the_channel(
    setting: Setting, live: LiveServer
) -> None:
    s = setting
    given_and_kept(s, live.container.posting_cache)

    revoked = s.lead.mutate(
        "revokePoster",
        "RevokePosterInput",
        {"channelId": s.channel, "staffMemberId": s.teacher_staff_id},
        CHANGED,
    )
    live.container.wait_for(["consent"], int(revoked["position"]))

    assert eventually(lambda: check(s)["data"] is None)
    assert check(s)["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_a_check_with_min_position_reads_the_view_not_what_is_kept(
    setting: Setting, live: LiveServer, monkeypatch
) -> None:
    s = setting
    cache = live.container.posting_cache
    given = give(s.lead, s.pupil, s.parent, ALL)
    assert may_appear(s, given["position"])
    monkeypatch.setattr(cache, "heard", lambda payload: None)  # notices not heard yet

    withdrawn = withdraw(s.lead, s.pupil, s.parent, ["PHOTO"])
    live.container.wait_for(["consent"], int(withdrawn["position"]))

    assert may_appear(s)  # what is kept, until the notice is heard
    assert not may_appear(s, withdrawn["position"])


def test_a_read_that_overlaps_a_change_is_not_kept(setting: Setting, live: LiveServer) -> None:
    s = setting
    cache = PostingCheckCache()
    cache.enable()
    pool = live.container.pool

    def changed_while_reading() -> psycopg.Connection[Any]:
        cache.heard(f"pupil:{s.pupil}")
        return conn

    with pool.connection() as conn:
        args = (UUID(s.channel), "teacher@primary.demo", [UUID(s.pupil)], "photo")
        channel, pupils = cache.read(changed_while_reading, *args)
        assert channel is not None and list(pupils) == [UUID(s.pupil)]
        assert not kept(s, cache)

        cache.read(lambda: conn, *args)
        assert kept(s, cache)


def test_nothing_is_kept_while_changes_cannot_be_heard(setting: Setting, live: LiveServer) -> None:
    s = setting
    cache = PostingCheckCache()  # not enabled: no listener hears changes for it
    with live.container.pool.connection() as conn:
        cache.read(lambda: conn, UUID(s.channel), "teacher@primary.demo", [UUID(s.pupil)], "photo")

    assert not cache.holds(pupil_id=UUID(s.pupil)) and not cache.holds(channel_id=UUID(s.channel))


def test_a_notice_for_everything_or_one_not_understood_forgets_everything(
    setting: Setting, live: LiveServer
) -> None:
    s = setting
    cache = PostingCheckCache()
    cache.enable()
    with live.container.pool.connection() as conn:
        for payload in ("*", "pupil:not-an-id"):
            cache.read(
                lambda: conn, UUID(s.channel), "teacher@primary.demo", [UUID(s.pupil)], "photo"
            )
            assert kept(s, cache)

            cache.heard(payload)

            assert not cache.holds(pupil_id=UUID(s.pupil))
            assert not cache.holds(channel_id=UUID(s.channel))


def test_the_view_names_each_pupil_and_channel_it_changes(
    setting: Setting, live: LiveServer
) -> None:
    s = setting
    with psycopg.connect(live.container.database.conninfo, autocommit=True) as listening:
        listening.execute(f"LISTEN {CHANNEL}")
        given = give(s.lead, s.pupil, s.parent, ALL)
        revoked = s.lead.mutate(
            "revokePoster",
            "RevokePosterInput",
            {"channelId": s.channel, "staffMemberId": s.teacher_staff_id},
            CHANGED,
        )
        live.container.wait_for(["consent"], max(int(given["position"]), int(revoked["position"])))
        heard = {n.payload for n in listening.notifies(timeout=1.0, stop_after=50)}

    assert {f"pupil:{s.pupil}", f"channel:{s.channel}"} <= heard
