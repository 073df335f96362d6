"""REST for an export's bundle: authorised as the export itself (the case team and the trust
safeguarding lead), logged like an evidence download, and streamed, so that memory stays bounded
whatever the evidence's size."""

from __future__ import annotations

import io
import logging
import queue
import threading
from collections.abc import AsyncIterator
from urllib.parse import quote
from uuid import UUID

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from api.auth import Identity, InvalidToken
from api.graphql.context import Context, request_context
from api.graphql.staff_cases.reading import case_target, readable_allegation
from api.lado.export import Download, ExportChanged, Exported, export_referral, prepare_download
from api.wiring import Container
from domain.shared.actor import acting_as
from domain.shared.errors import DomainError

log = logging.getLogger(__name__)

CHUNK = 1 << 20
QUEUED_CHUNKS = 8  # what may wait between the writer and a slow reader: 8 MiB at most
_DONE = object()


def _problem(status: int, message: str, code: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "code": code}}, status_code=status)


class _Pipe(io.RawIOBase):
    """A writable stream whose chunks wait in a bounded queue for the response to send."""

    def __init__(self, chunks: queue.Queue[object]) -> None:
        self._chunks = chunks

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._chunks.put(bytes(data))
        return len(data)


def _stream(download: Download) -> AsyncIterator[bytes]:
    chunks: queue.Queue[object] = queue.Queue(maxsize=QUEUED_CHUNKS)

    def produce() -> None:
        try:
            with io.BufferedWriter(_Pipe(chunks), CHUNK) as out:  # type: ignore[type-var]
                download.write(out)
        except BaseException as error:  # the response is cut short: the client sees a broken zip
            # The type only: a renderer's message may quote the case's text.
            log.error("writing a LADO bundle failed (%s)", type(error).__name__)
            chunks.put(error)
        else:
            chunks.put(_DONE)

    threading.Thread(target=produce, name="lado-bundle", daemon=True).start()

    async def body() -> AsyncIterator[bytes]:
        while True:
            item = await to_thread.run_sync(chunks.get)
            if not isinstance(item, bytes):  # the end, or the writer's failure
                return
            yield item

    return body()


def logged_export(ctx: Context, allegation_id: UUID, recipient: str) -> Exported:
    """:func:`~api.lado.export.export_referral` as ``ctx``'s caller, the export written to the
    access log (it hands the case over, as a download does). A refusal is the caller's to log,
    as every refused command is (``run_command``)."""
    with acting_as(ctx.principal):
        exported = export_referral(ctx.container, allegation_id, recipient)
    ctx.log_read("export_lado_referral", "allegation", allegation_id, exported.target)
    return exported


def authorised_download(
    container: Container, identity: Identity, allegation_id: UUID, export_id: UUID
) -> Download:
    """The bundle of an export, for ``identity`` if they may export the case; the read, or
    the refused attempt, written to the access log either way (as for an evidence file)."""
    with request_context(container, identity) as ctx:
        try:
            row = readable_allegation(ctx, allegation_id)
            with acting_as(ctx.principal):
                download = prepare_download(container, allegation_id, export_id)
        except DomainError as error:
            if error.refusal is not None:
                ctx.log_refusal("downloadLadoExport", error.refusal)
            raise
        ctx.log_read("download_lado_export", "allegation", allegation_id, case_target(row))
    return download


def add_lado_routes(app: FastAPI, container: Container) -> None:
    @app.get("/files/allegations/{allegation_id}/lado-exports/{export_id}")
    async def download_lado_export(
        allegation_id: str, export_id: str, request: Request
    ) -> Response:
        try:
            identity = await container.verifier.verify_async(request.headers.get("authorization"))
        except InvalidToken as error:
            return _problem(401, str(error), "UNAUTHENTICATED")
        try:
            allegation, export = UUID(allegation_id), UUID(export_id)
        except ValueError:
            return _problem(404, "No such export, or not visible to you", "NOT_FOUND")

        def prepare() -> Response | Download:
            try:
                return authorised_download(container, identity, allegation, export)
            except ExportChanged as changed:
                return _problem(410, str(changed), changed.code)
            except DomainError:
                return _problem(404, "No such export, or not visible to you", "NOT_FOUND")

        prepared = await to_thread.run_sync(prepare)
        if isinstance(prepared, Response):
            return prepared
        headers = {
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(prepared.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        }
        return StreamingResponse(_stream(prepared), media_type="application/zip", headers=headers)
