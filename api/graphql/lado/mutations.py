"""The LADO export mutation: thin; what it does is in ``api.lado.export``."""

import strawberry
from strawberry.types import Info

from api.graphql.common import Position, result_union, run_command, to_id
from api.graphql.context import Context
from api.graphql.lado.types import ExportLadoReferralInput, LadoReferralExported
from api.lado.download import logged_export

ExportLadoReferralResult = result_union("ExportLadoReferralResult", LadoReferralExported)


def _export(info: Info[Context, None], input: ExportLadoReferralInput) -> ExportLadoReferralResult:  # type: ignore[valid-type]
    def export() -> LadoReferralExported:
        exported = logged_export(info.context, input.allegation(), input.recipient)
        return LadoReferralExported(
            export_id=to_id(exported.export_id),
            allegation_id=to_id(exported.allegation_id),
            fingerprint=exported.fingerprint,
            download_path=exported.download_path,
            position=Position(exported.position),
        )

    return run_command(info, export)


@strawberry.type
class LadoMutation:
    export_lado_referral: ExportLadoReferralResult = strawberry.mutation(  # type: ignore[valid-type]
        resolver=_export,
        description="Export an allegation's referral evidence for the Local Authority "
        "Designated Officer, as its case manager, a member of its case team or the trust "
        "safeguarding lead: the export is recorded on the case (recipient, the bundle's "
        "fingerprint, the version of every record exported) and the bundle is downloaded from "
        "`downloadPath`. Anyone else is answered as for an unknown allegation, and the attempt "
        "is logged.",
    )
