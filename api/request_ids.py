"""Every HTTP request has an id, and every response is counted.

The id is the caller's `X-Request-Id` when it is a short token of safe characters (a proxy's
id then names the request in both logs), otherwise a new one. It is returned in the response's
`X-Request-Id`, given in masked errors (`extensions.requestId`) and written in the log line of
an unexpected error, so a report from a client leads to its log line without either side
holding the request's content. An exception no route caught is coded as any GraphQL error is
(``api.graphql.errors``): a transient database error answers 503 ``SERVICE_UNAVAILABLE`` with
``Retry-After``, anything else 500 ``INTERNAL``.
"""

from __future__ import annotations

import re
from uuid import uuid4

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.graphql.errors import coded_exception
from api.metrics import Metrics
from api.outages import RETRY_AFTER, SERVICE_UNAVAILABLE

HEADER = "x-request-id"
_SAFE = re.compile(r"[A-Za-z0-9._-]{1,64}")


def new_request_id() -> str:
    return uuid4().hex


def request_id_from(sent: str | None) -> str:
    return sent if sent is not None and _SAFE.fullmatch(sent) else new_request_id()


def uncaught_error(error: Exception, request_id: str) -> JSONResponse:
    """The answer to an exception no route caught, logged and coded."""
    coded = coded_exception(error, request_id)
    if (coded.extensions or {}).get("code") == SERVICE_UNAVAILABLE:
        return JSONResponse({"errors": [coded.formatted]}, status_code=503, headers=RETRY_AFTER)
    return JSONResponse({"errors": [coded.formatted]}, status_code=500)


class RequestIds:
    """ASGI middleware around every route: gives the request its id (``scope["state"]``, read
    as ``request.state.request_id``), returns it, counts the response by status, and turns an
    exception no route caught into a logged, counted, coded 503 or 500."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(Headers(scope=scope).get(HEADER))
        scope.setdefault("state", {})["request_id"] = request_id
        status: int | None = None

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as error:
            if status is not None:  # the answer had begun: nothing more can be said
                coded_exception(error, request_id)
                raise
            await uncaught_error(error, request_id)(scope, receive, send_with_id)
        finally:
            self.metrics.responses.labels(status=str(status or 500)).inc()
