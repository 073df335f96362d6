"""GraphQL for pupils' image and video consent, official channels, publications and takedowns
(issue 5). The data lead, DSLs and headteacher of the school read and record; a member of staff
authorised on a channel runs its posting check (yes or no per pupil, nothing more) and records
their own posts."""

from api.graphql.consent.mutations import ConsentMutation
from api.graphql.consent.queries import ConsentQuery

__all__ = ["ConsentMutation", "ConsentQuery"]
