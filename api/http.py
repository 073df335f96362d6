"""The HTTP doors: GraphQL at /graphql, health, readiness and metrics."""

from __future__ import annotations

import gc
import json
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as StarletteUploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from strawberry.http.ides import get_graphql_ide_html

from api.answers import problem_body
from api.auth import InvalidToken
from api.files import add_file_routes
from api.graphql.evidence import UploadedFile
from api.graphql.execution import Executor
from api.graphql.schema import build_schema
from api.graphql.subscriptions import SubscriptionRouter
from api.lado.download import add_lado_routes
from api.ledger_following import LedgerFollowing
from api.metrics import Metrics, scrape_allowed
from api.outages import is_transient
from api.readiness import ReadinessProbe
from api.request_ids import RequestIds
from api.wiring import Container
from api.workers import NoWorkers, WorkerProcess, Workers, WorkerThreads
from domain.ledger.handlers import LedgerHandlers
from projections.ledger.queries import latest_checkpoint

log = logging.getLogger("casework.http")
JSON = b"application/json"
MULTIPART = b"multipart/form-data"
NOT_JSON = (ValueError, UnicodeDecodeError, RecursionError)  # RecursionError: nested too deeply
# How uvicorn serves this app. wsproto serves the WebSocket: uvicorn's websockets
# implementation writes every frame received (subscription variables and all) to its log at
# DEBUG, and the websockets package is not among the service's dependencies anyway.
SERVER_OPTIONS: dict[str, Any] = {"ws": "wsproto"}


def _problem(status: int, message: str, code: str) -> JSONResponse:
    return JSONResponse(problem_body(message, code), status_code=status)


class BodyTooLarge(Exception):
    """The request body went past its limit; reading stopped there."""


async def bounded_body(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    """The request body's chunks as they arrive, ending in :class:`BodyTooLarge` as soon as
    more than ``limit`` bytes have come, whether or not a Content-Length was sent (a chunked
    body has none)."""
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise BodyTooLarge()
        yield chunk


async def multipart_payload(request: Request, limit: int) -> dict[str, Any] | Response:
    """A GraphQL multipart request (the `operations` / `map` / files convention): the body is
    parsed as it arrives and no further than the limit, the file is held in memory (never
    spooled to disk), and it is put into the variables at the mapped paths."""
    parser = MultiPartParser(
        request.headers,
        bounded_body(request, limit),
        max_files=1,
        max_fields=2,
        max_part_size=limit,
    )
    parser.spool_max_size = limit
    try:
        form = await parser.parse()
    except BodyTooLarge:
        return _problem(413, "The request body is too large", "REQUEST_TOO_LARGE")
    except MultiPartException:
        return _problem(
            400, "A multipart request needs `operations`, `map` and one file", "BAD_REQUEST"
        )
    try:
        return await _operations_with_files(form)
    finally:
        await form.close()


async def _operations_with_files(form: FormData) -> dict[str, Any] | Response:
    try:
        operations = json.loads(str(form["operations"]))
        files_map = json.loads(str(form["map"]))
    except (KeyError, MultiPartException, *NOT_JSON):
        return _problem(
            400, "A multipart request needs `operations`, `map` and one file", "BAD_REQUEST"
        )
    if not isinstance(operations, dict) or not isinstance(files_map, dict):
        return _problem(400, "`operations` and `map` must be JSON objects", "BAD_REQUEST")
    for key, paths in files_map.items():
        upload = form.get(key)
        if not isinstance(upload, StarletteUploadFile) or not isinstance(paths, list):
            return _problem(400, f"the map names a file `{key}` that was not sent", "BAD_REQUEST")
        content = await upload.read()
        uploaded = UploadedFile(upload.filename or "file", upload.content_type or "", content)
        for path in paths:
            if not _put(operations, str(path).split("."), uploaded):
                return _problem(400, f"the map path {path} is not in the variables", "BAD_REQUEST")
    return operations


def _put(target: Any, path: list[str], value: Any) -> bool:
    for step in path[:-1]:
        if isinstance(target, dict) and step in target:
            target = target[step]
        elif isinstance(target, list) and step.isdigit() and int(step) < len(target):
            target = target[int(step)]
        else:
            return False
    last = path[-1]
    if isinstance(target, dict) and last in target:
        target[last] = value
        return True
    if isinstance(target, list) and last.isdigit() and int(last) < len(target):
        target[int(last)] = value
        return True
    return False


def create_app(container: Container, *, projections: str = "threads") -> FastAPI:
    """The service. ``projections``: "threads" (in this process), "process" (a supervised child
    process, as `casework serve` runs), or "none" (API only)."""
    settings = container.settings
    schema = build_schema(settings)
    executor = Executor(container, schema)
    metrics = Metrics()
    metrics.watch_projections(container)
    metrics.watch_waits(executor.watch)
    workers: Workers
    if projections == "process":
        workers = WorkerProcess(container)
    elif projections == "threads":
        workers = WorkerThreads(container)
    else:
        workers = NoWorkers()

    changes = container.change_listener()
    # While the ledger follows the store, the writer leaves it the field digests.
    following = LedgerFollowing(container.pool)
    probe = ReadinessProbe(
        container.database.conninfo,
        list(container.views),
        settings.ready_max_lag_events,
        container.wrong_keys,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await to_thread.run_sync(probe.note_start)  # before the workers move the views
        changes.start()
        workers.start()
        following.start()
        container.app.ledger_follows = following
        container.verifier.warm()  # OIDC key sets fetched in the background, never awaited
        # What start-up made (modules, the schema, settings, pools) lives as long as the
        # process: set it aside from the cyclic garbage collector, whose full passes would
        # otherwise walk all of it again and again while requests wait.
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            container.app.ledger_follows = LedgerHandlers.ledger_follows
            await to_thread.run_sync(following.stop)
            await to_thread.run_sync(workers.stop)
            await to_thread.run_sync(changes.stop)
            await to_thread.run_sync(probe.close)

    app = FastAPI(
        title="safeguarding-casework",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.is_development else None,
    )
    app.state.container = container
    app.state.query_budget = executor.budget  # each user's query budget (api.query_cost)

    app.add_middleware(RequestIds, metrics=metrics)

    @app.post("/graphql")
    async def graphql(request: Request) -> Response:
        started = time.perf_counter()
        outcome = "500"  # an exception is answered by RequestIds (api.request_ids)
        try:
            response = await _graphql(request)
            outcome = str(response.status_code)
            return response
        except Exception as error:
            outcome = "503" if is_transient(error) else "500"
            raise
        finally:
            metrics.latency.observe(time.perf_counter() - started)
            metrics.requests.labels(outcome=outcome).inc()

    async def _graphql(request: Request) -> Response:
        # Who is asking is settled before a byte of the body is read.
        try:
            identity = await container.verifier.verify_async(request.headers.get("authorization"))
        except InvalidToken as error:
            return _problem(401, str(error), "UNAUTHENTICATED")
        media, _ = parse_options_header(request.headers.get("content-type", ""))
        if media not in (JSON, MULTIPART):
            return _problem(
                415,
                "Send the request as application/json, or as multipart/form-data with a file",
                "UNSUPPORTED_MEDIA_TYPE",
            )
        multipart = media == MULTIPART
        limit = settings.max_upload_bytes if multipart else settings.max_request_bytes
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return _problem(413, "The request body is too large", "REQUEST_TOO_LARGE")
        payload: Any
        if multipart:
            payload = await multipart_payload(request, limit)
            if isinstance(payload, Response):
                return payload
        else:
            try:
                body = b"".join([chunk async for chunk in bounded_body(request, limit)])
            except BodyTooLarge:
                return _problem(413, "The request body is too large", "REQUEST_TOO_LARGE")
            try:
                payload = json.loads(body)
            except NOT_JSON:
                return _problem(400, "The request body is not valid JSON", "BAD_REQUEST")
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return _problem(400, "Send a JSON object with a `query` string", "BAD_REQUEST")
        variables = payload.get("variables")
        operation = payload.get("operationName")
        if variables is not None and not isinstance(variables, dict):
            return _problem(400, "`variables` must be an object", "BAD_REQUEST")
        if operation is not None and not isinstance(operation, str):
            return _problem(400, "`operationName` must be a string", "BAD_REQUEST")

        answer = await executor.run(
            identity,
            payload["query"],
            variables,
            operation,
            request.state.request_id,
            request.headers.get("idempotency-key"),
        )
        return JSONResponse(answer.body, status_code=answer.status, headers=answer.headers)

    @app.get("/graphql", response_class=HTMLResponse)
    async def graphiql() -> Response:
        if not settings.is_development:
            return PlainTextResponse("Not found", status_code=404)
        return HTMLResponse(get_graphql_ide_html())

    add_file_routes(app, container)
    add_lado_routes(app, container)
    # The WebSocket side of /graphql (graphql-transport-ws); registered after the HTTP routes
    # above, which therefore answer every HTTP request to /graphql.
    app.include_router(SubscriptionRouter(schema, container, executor), prefix="/graphql")

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> Response:
        readiness = await probe.check()
        return JSONResponse(readiness.body, status_code=200 if readiness.ready else 503)

    @app.get("/ledger/checkpoint")
    async def ledger_checkpoint() -> Response:
        """The ledger's latest checkpoint: a C2SP signed note, with the witnesses'
        co-signatures. Public: it names the deployment and a tree size, nothing else."""

        def read() -> str | None:
            with container.pool.connection() as conn:
                latest = latest_checkpoint(conn)
            return None if latest is None else latest.note

        note = await to_thread.run_sync(read)
        if note is None:
            return PlainTextResponse("The ledger has signed no checkpoint yet\n", status_code=404)
        return PlainTextResponse(note, headers={"Cache-Control": "no-store"})

    @app.get("/metrics")
    async def metrics_endpoint(request: Request) -> Response:
        if not scrape_allowed(settings.metrics_token, request.headers.get("authorization")):
            return PlainTextResponse(
                "Send the metrics token as a bearer token",
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        output = await to_thread.run_sync(generate_latest, metrics.registry)
        return Response(output, media_type=CONTENT_TYPE_LATEST)

    return app
