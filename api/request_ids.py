"""Every HTTP request has an id, and every response is counted.

The id is the caller's `X-Request-Id` when it is a short token of safe characters (a proxy's
id then names the request in both logs), otherwise a new one. It is returned in the response's
`X-Request-Id`, given in masked errors (`extensions.requestId`) and written in the log line of
an unexpected error, so a report from a client leads to its log line without either side
holding the request's content.
"""

from __future__ import annotations

import logging
import re
from uuid import uuid4

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import Metrics

log = logging.getLogger("casework.http")

HEADER = "x-request-id"
_SAFE = re.compile(r"[A-Za-z0-9._-]{1,64}")


def new_request_id() -> str:
    return uuid4().hex


def request_id_from(sent: str | None) -> str:
    return sent if sent is not None and _SAFE.fullmatch(sent) else new_request_id()


def internal_error(request_id: str) -> JSONResponse:
    return JSONResponse(
        {
            "errors": [
                {
                    "message": "Unexpected error.",
                    "extensions": {"code": "INTERNAL", "requestId": request_id},
                }
            ]
        },
        status_code=500,
    )


class RequestIds:
    """ASGI middleware around every route: gives the request its id (``scope["state"]``, read
    as ``request.state.request_id``), returns it, counts the response by status, and turns an
    exception no route caught into a logged, counted, coded 500."""

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
        except Exception:
            log.exception("unexpected error, request %s", request_id)
            if status is not None:  # the answer had begun: nothing more can be said
                raise
            await internal_error(request_id)(scope, receive, send_with_id)
        finally:
            self.metrics.responses.labels(status=str(status or 500)).inc()
