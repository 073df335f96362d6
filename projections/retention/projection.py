"""Retention view (docs/rules.md §9): each trust's configured rules, the latest review decision
on each record, and legal holds. The facts the rules
need about the records themselves are read from the other views at query time
(``projections/retention/queries.py``)."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor

from domain.retention.aggregates import LegalHold, RetentionConfiguration, RetentionReview
from domain.retention.erasure import Erasure
from projections.common import sealed_column
from projections.view import View, handles


class RetentionView(View):
    name = "retention"
    tables = ("ret_config", "ret_reviews", "ret_holds")

    @handles(Erasure.CarriedOut)
    def erased(self, curs: Cursor[Any], e: Erasure.CarriedOut, position: int) -> None:
        """A review of an erased record keeps what was decided and when; its reason, sealed
        with the record's key, and an erased reviewer's login go."""
        self.purge(curs, e)

    @handles(RetentionConfiguration.RuleConfigured)
    def configured(
        self, curs: Cursor[Any], e: RetentionConfiguration.RuleConfigured, position: int
    ) -> None:
        curs.execute(
            "INSERT INTO ret_config (trust_id, rule, value, reason, configured_at, configured_by, "
            "seq) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (trust_id, rule) DO UPDATE "
            "SET value = EXCLUDED.value, reason = EXCLUDED.reason, "
            "configured_at = EXCLUDED.configured_at, configured_by = EXCLUDED.configured_by, "
            "seq = EXCLUDED.seq",
            (
                e.trust_id,
                e.rule,
                e.value,
                sealed_column(e.reason),
                e.timestamp,
                self.logins.seal(e.actor),
                position,
            ),
        )

    @handles(RetentionReview.Opened)
    def review_opened(self, curs: Cursor[Any], e: RetentionReview.Opened, position: int) -> None:
        """Nothing to show until the first decision, which follows in the same save."""

    @handles(RetentionReview.Decided)
    def decided(self, curs: Cursor[Any], e: RetentionReview.Decided, position: int) -> None:
        curs.execute(
            "INSERT INTO ret_reviews (record_id, record_type, trust_id, school_id, decision, "
            "keep_until, reason, decided_at, decided_by, seq) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (record_id) DO UPDATE SET decision = EXCLUDED.decision, "
            "keep_until = EXCLUDED.keep_until, reason = EXCLUDED.reason, "
            "decided_at = EXCLUDED.decided_at, decided_by = EXCLUDED.decided_by, "
            "seq = EXCLUDED.seq",
            (
                e.record_id,
                e.reviewed_type,
                e.trust_id,
                e.school_id,
                e.decision,
                e.keep_until,
                sealed_column(e.reason),
                e.timestamp,
                self.logins.seal(e.actor),
                position,
            ),
        )

    @handles(LegalHold.Placed)
    def placed(self, curs: Cursor[Any], e: LegalHold.Placed, position: int) -> None:
        curs.execute(
            "INSERT INTO ret_holds (hold_id, trust_id, school_id, scope, target_id, authority, "
            "about, reason, placed_at, placed_by, seq) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                e.originator_id,
                e.trust_id,
                e.school_id,
                e.scope,
                e.target_id,
                e.authority,
                list(e.about),
                sealed_column(e.reason),
                e.timestamp,
                self.logins.seal(e.actor),
                position,
            ),
        )

    @handles(LegalHold.Lifted)
    def lifted(self, curs: Cursor[Any], e: LegalHold.Lifted, position: int) -> None:
        curs.execute(
            "UPDATE ret_holds SET lifted_at = %s, lifted_by = %s, lift_reason = %s "
            "WHERE hold_id = %s",
            (e.timestamp, self.logins.seal(e.actor), sealed_column(e.reason), e.originator_id),
        )
