"""Carrying out an erasure in a test, until the DPO's flow (``eraseRecords``, a second
approver) records it: the keys destroyed, then the erasure recorded, requested and carried out,
by a DPO of the trust. What every copy does on ``Erasure.CarriedOut`` is what these tests
specify; how a DPO gets there is the flow's."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID, uuid4

from api.wiring import Container
from domain.access.commands import GrantRole
from domain.retention.erasure import Erasure
from domain.shared.actor import acting_as
from domain.shared.policy import Principal, Role

DPO = "dpo.erasures@trust.example"
REASON = "due under the retention schedule"


def carry_out(
    container: Container,
    *,
    trust_id: UUID,
    subject_ids: Iterable[UUID],
    record_ids: Iterable[UUID],
    blind_indexes: Iterable[bytes | str],
) -> int:
    """Destroy each of ``subject_ids``' data keys, then record an erasure of ``record_ids``
    (``blind_indexes``: the erased logins', as bytes or hex) by a DPO of ``trust_id``; the
    position of its ``CarriedOut``."""
    app = container.app
    subjects = list(dict.fromkeys(subject_ids))
    records = list(dict.fromkeys(record_ids))
    indexes = [ix.hex() if isinstance(ix, bytes) else ix for ix in blind_indexes]
    with acting_as(Principal.operator("tests")):
        if not any(g.role is Role.DPO for g in app.principal_for(DPO).grants):
            app.grant_role(GrantRole(user_id=DPO, role=Role.DPO, trust_id=trust_id))
    for subject in subjects:
        container.keyring.destroy(subject)
    with acting_as(app.principal_for(DPO)):
        erasure_id = uuid4()
        session = container.keyring.session()
        session.new_subject(erasure_id)
        # Through the event classes, with the actor the aggregate stamps on each event, so
        # that this works whether or not the record's methods take the actor themselves.
        erasure = Erasure._create(
            Erasure.Requested,
            id=erasure_id,
            trust_id=trust_id,
            school_id=None,
            records=[{"record_id": str(r), "rule": "test"} for r in records],
            subject_ids=subjects,
            reason=session.seal(erasure_id, REASON),
        )
        erasure.trigger_event(
            Erasure.CarriedOut,
            subject_ids=subjects,
            record_ids=records,
            blind_indexes=indexes,
            exports=[],
        )
        return app.record(erasure, new_keys=session.new_keys)
