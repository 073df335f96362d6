"""Logins at rest: sealed with their holder's own data key, matched by a blind index.

A login (``dsl@school.example``) is personal data whose subject is the person who holds it. Views
store it twice, never in plaintext: sealed with that login's data key (subject id
:func:`login_subject`), to show it, and as a blind index (:meth:`BlindIndex.login`), to match
it. Destroying the login's data key erases it from every view at once; the blind index stays,
and without the login there is nothing to compare it with.

Events carry logins in plain (the actor, a grantee): the event store is encrypted as a whole.
Views seal them as they apply events, creating a login's data key on first use
(:meth:`Keyring.seal_creating`).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid5

from domain.shared.blind_index import BlindIndex
from domain.shared.sealing import Keyring

LOGIN_NAMESPACE = UUID("0e3d3f7a-6c1b-4d5e-8a2f-91c4b7e6d203")


def login_subject(login: str) -> UUID:
    """The subject id of a login's data key: the same in every process, for ever."""
    return uuid5(LOGIN_NAMESPACE, login)


@dataclass(frozen=True)
class LoginSealer:
    """Seals logins and computes their blind index: handed to every view by the runner."""

    keyring: Keyring
    index: BlindIndex

    def seal(self, login: str) -> bytes | None:
        """The login sealed with its own data key (created on first use), as a view stores it;
        None if that key has been destroyed (the login was erased)."""
        sealed = self.keyring.seal_creating(login_subject(login), login)
        return None if sealed is None else sealed.to_bytes()

    def ix(self, login: str) -> bytes:
        return self.index.login(login)

    def seal_login(self, login: str) -> tuple[bytes | None, bytes]:
        """(sealed, blind index) of a login, for a ``<name>`` / ``<name>_ix`` column pair."""
        return self.seal(login), self.ix(login)

    def seal_optional(self, login: str | None) -> tuple[bytes | None, bytes | None]:
        if login is None:
            return None, None
        return self.seal_login(login)
