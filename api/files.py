"""REST for files: evidence downloads, each authorised as its record (an incident's evidence
as the incident, an allegation's supporting documents as reading the allegation) and logged.

An unknown file and one the caller may not see answer the same 404 (the refusal is in the
access log); a file whose record's key has been destroyed answers 410.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote
from uuid import UUID

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from psycopg import Connection

from api.auth import InvalidToken
from api.event_store import evidence_blob
from api.graphql.context import Context, request_context
from api.graphql.evidence import ALLEGATION_EVIDENCE, INCIDENT_EVIDENCE
from api.graphql.incidents import incident_target, readable_incident
from api.graphql.staff_cases.reading import case_target, readable_allegation
from api.wiring import Container
from domain.shared.errors import DomainError
from domain.shared.policy import Target
from domain.shared.sealing import Erased, Sealed
from projections.evidence import EvidenceRow
from projections.incidents import queries as incidents
from projections.staff_cases import queries as staff_cases

NOT_FOUND = "No such file, or not visible to you"


def _problem(status: int, message: str, code: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "code": code}}, status_code=status)


@dataclass(frozen=True)
class EvidenceRoute:
    """Where a record's files are downloaded from, and how each is found and authorised."""

    path: str
    record_type: str  # as the access log names a download
    find: Callable[[Connection[Any], UUID], EvidenceRow | None]
    authorise: Callable[[Context, UUID], Target]  # the owner's target, or a DomainError


def _incident(ctx: Context, incident_id: UUID) -> Target:
    return incident_target(readable_incident(ctx, incident_id))


def _allegation(ctx: Context, allegation_id: UUID) -> Target:
    return case_target(readable_allegation(ctx, allegation_id))


ROUTES = (
    EvidenceRoute(INCIDENT_EVIDENCE, "evidence", incidents.evidence, _incident),
    EvidenceRoute(ALLEGATION_EVIDENCE, "allegation_evidence", staff_cases.evidence, _allegation),
)


def add_file_routes(app: FastAPI, container: Container) -> None:
    for route in ROUTES:
        app.add_api_route(
            route.path + "/{file_id}",
            _download(container, route),
            methods=["GET"],
            name=f"download_{route.record_type}",
        )


def _download(container: Container, route: EvidenceRoute) -> Callable[..., Any]:
    async def download(file_id: str, request: Request) -> Response:
        try:
            identity = await container.verifier.verify_async(request.headers.get("authorization"))
        except InvalidToken as error:
            return _problem(401, str(error), "UNAUTHENTICATED")
        try:
            wanted = UUID(file_id)
        except ValueError:
            return _problem(404, NOT_FOUND, "NOT_FOUND")

        def fetch() -> Response:
            with request_context(container, identity) as ctx:
                row = route.find(ctx.conn, wanted)
                if row is None:
                    return _problem(404, NOT_FOUND, "NOT_FOUND")
                try:
                    target = route.authorise(ctx, row.owner_id)
                except DomainError:
                    return _problem(404, NOT_FOUND, "NOT_FOUND")
                ctx.log_read("download", route.record_type, row.file_id, target)
                sealed = evidence_blob(container.pool, row.file_id)
                content = (
                    None
                    if sealed is None
                    else container.keyring.open_bytes(Sealed.from_bytes(sealed))
                )
                name, digest = ctx.open_all([row.filename, row.sha256])
            if content is None or isinstance(content, Erased) or not isinstance(digest, str):
                return _problem(410, "This file has been erased", "ERASED")
            filename = name if isinstance(name, str) else "evidence"
            headers: dict[str, Any] = {
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "no-store",
                "X-Content-SHA256": digest,
            }
            return Response(content, media_type=row.content_type, headers=headers)

        return await to_thread.run_sync(fetch)

    return download
