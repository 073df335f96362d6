"""GraphQL for pupil online-safety incidents: the DSL's daily work (issue 3)."""

from api.graphql.incidents.mutations import IncidentMutation
from api.graphql.incidents.queries import (
    IncidentQuery,
    pupil_chronology,
    readable_incident,
)
from api.graphql.incidents.types import ChronologyEntry, incident_target

__all__ = [
    "ChronologyEntry",
    "IncidentMutation",
    "IncidentQuery",
    "incident_target",
    "pupil_chronology",
    "readable_incident",
]
