"""REST for files: evidence downloads, authorised as the incident and logged."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote
from uuid import UUID

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from api.auth import InvalidToken
from api.event_store import evidence_blob
from api.graphql.context import request_context
from api.graphql.incidents import incident_target, readable_incident
from api.wiring import Container
from domain.shared.errors import DomainError
from domain.shared.sealing import Erased, Sealed
from projections.incidents import queries


def _problem(status: int, message: str, code: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "code": code}}, status_code=status)


def add_file_routes(app: FastAPI, container: Container) -> None:
    @app.get("/files/evidence/{file_id}")
    async def download_evidence(file_id: str, request: Request) -> Response:
        try:
            identity = container.verifier.verify(request.headers.get("authorization"))
        except InvalidToken as error:
            return _problem(401, str(error), "UNAUTHENTICATED")
        try:
            wanted = UUID(file_id)
        except ValueError:
            return _problem(404, "No such file, or not visible to you", "NOT_FOUND")

        def fetch() -> Response:
            with request_context(container, identity) as ctx:
                row = queries.evidence(ctx.conn, wanted)
                if row is None:
                    return _problem(404, "No such file, or not visible to you", "NOT_FOUND")
                try:
                    incident = readable_incident(ctx, row.incident_id)
                except DomainError:
                    return _problem(404, "No such file, or not visible to you", "NOT_FOUND")
                ctx.log_read("download", "evidence", row.file_id, incident_target(incident))
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
