"""Which domain events are which thin kind (``rules.EventKind``)."""

from __future__ import annotations

from domain.consent.aggregates import ConsentRecord
from domain.incidents.aggregates import Incident
from domain.retention.erasure import Erasure
from domain.staff_cases.allegations import Allegation
from domain.staff_cases.concerns import LowLevelConcern
from domain.webhooks.rules import EventKind

EVENT_KINDS: dict[type, EventKind] = {
    Incident.Reported: EventKind.INCIDENT_REPORTED,
    Incident.Closed: EventKind.INCIDENT_CLOSED,
    Allegation.Received: EventKind.ALLEGATION_RECEIVED,
    Allegation.Closed: EventKind.ALLEGATION_CLOSED,
    LowLevelConcern.Raised: EventKind.CONCERN_RAISED,
    ConsentRecord.ConsentGiven: EventKind.CONSENT_CHANGED,
    ConsentRecord.ConsentAmended: EventKind.CONSENT_CHANGED,
    ConsentRecord.ConsentWithdrawn: EventKind.CONSENT_CHANGED,
    Erasure.CarriedOut: EventKind.RECORD_ERASED,
}
