"""Access view: every role grant, when and by whom it was made and revoked. Logins are stored
sealed with their holders' keys; the grantee's also as a blind index, to find the grant."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor

from domain.access.aggregates import UserAccess
from domain.retention.erasure import Erasure
from projections.view import View, handles


class AccessView(View):
    name = "access"
    tables = ("access_grants",)

    @handles(UserAccess.RoleGranted)
    def granted(self, curs: Cursor[Any], e: UserAccess.RoleGranted, position: int) -> None:
        curs.execute(
            "INSERT INTO access_grants (grant_seq, user_id, user_id_ix, role, trust_id, school_id, "
            "granted_at, granted_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (
                position,
                *self.logins.seal_login(e.user_id),
                e.role,
                e.trust_id,
                e.school_id,
                e.timestamp,
                self.logins.seal(e.actor),
            ),
        )

    @handles(UserAccess.RoleRevoked)
    def revoked(self, curs: Cursor[Any], e: UserAccess.RoleRevoked, position: int) -> None:
        curs.execute(
            "UPDATE access_grants SET revoked_at = %s, revoked_by = %s "
            "WHERE user_id_ix = %s AND role = %s AND trust_id = %s "
            "AND school_id IS NOT DISTINCT FROM %s AND revoked_at IS NULL",
            (
                e.timestamp,
                self.logins.seal(e.actor),
                self.logins.ix(e.user_id),
                e.role,
                e.trust_id,
                e.school_id,
            ),
        )

    @handles(Erasure.CarriedOut)
    def erased(self, curs: Cursor[Any], e: Erasure.CarriedOut, position: int) -> None:
        """An erased login's grants keep their skeleton (role, where, when); the login, sealed
        and blind-indexed, goes from them and from the access log (which is not a view, but
        whose data map this feature keeps: migration 0041 lets an erasure, and nothing else,
        change an entry, and only so)."""
        self.purge(curs, e, (*self.tables, "access_log"))
