"""The LADO export's GraphQL types."""

from uuid import UUID

import strawberry

from api.graphql.common import Position, parse_id


@strawberry.input(description="Export an allegation's referral evidence for the LADO.")
class ExportLadoReferralInput:
    allegation_id: strawberry.ID
    recipient: str = strawberry.field(
        description="Who the bundle is for, as a letter would be addressed: one line, at most "
        '200 characters (for example "LADO, Northshire County Council").'
    )

    def allegation(self) -> UUID:
        return parse_id("allegationId", self.allegation_id)


@strawberry.type(
    description="An export recorded on the allegation. Download its bundle (a signed BagIt "
    "zip) from `downloadPath` with your token; check it offline with `casework verify-bundle`."
)
class LadoReferralExported:
    export_id: strawberry.ID
    allegation_id: strawberry.ID
    fingerprint: str = strawberry.field(
        description="SHA-256 (hex) of the bundle's facts, as the export's event records it and "
        "the PDF's cover prints it."
    )
    download_path: str
    position: Position
