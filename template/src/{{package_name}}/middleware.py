"""The service's ASGI middleware: request ids, the access log, admission checks, body limit.

One plain-ASGI layer (no BaseHTTPMiddleware) does it all: every layer costs a coroutine
call per request, and this one's whole work is a few microseconds.
"""

import itertools
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from random import getrandbits
from time import perf_counter_ns

from fastapi import HTTPException, status
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .logs import AccessLog, request_id_var

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_HEADER = REQUEST_ID_HEADER.encode()
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


@dataclass(frozen=True)
class Refusal:
    """An answer given instead of the app's: a status, a JSON detail and extra headers."""

    status: int
    detail: str
    headers: tuple[tuple[bytes, bytes], ...] = ()

    async def send(self, send: Send) -> None:
        body = json.dumps({"detail": self.detail}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *self.headers,
        ]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


#: Looks at a request before the app does: None lets it in, a Refusal answers it.
AdmissionCheck = Callable[[Scope], Refusal | None]


class RequestContextMiddleware:
    """Every HTTP request, in order:

    - takes the caller's X-Request-ID (or makes one), exposes it to log lines and echoes it;
    - runs the admission checks (the inbound rate limit, say): a refusal answers at once;
    - answers 413 when the app reads a body over `max_body_bytes`, declared or streamed;
    - with an `access_log`, notes one JSON line: method, path, status, duration.

    Refusals happen inside the request context: they get a request id and a log line.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        access_log: AccessLog | None = None,
        admission: Sequence[AdmissionCheck] = (),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.access_log = access_log
        self.admission = tuple(admission)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started_ns = perf_counter_ns()
        # One pass over the headers (inline: this runs for every request): the caller's
        # request id, and whether a body follows.
        request_id = None
        has_body = False
        for name, value in scope["headers"]:
            if name == _REQUEST_ID_HEADER:
                request_id = _safe_request_id(value)
            elif name == b"content-length":
                has_body = value != b"0"
            elif name == b"transfer-encoding":
                has_body = True
        if request_id is None:
            request_id = _new_request_id()
        id_header = (_REQUEST_ID_HEADER, request_id.encode())
        token = request_id_var.set(request_id)
        response_status = 500  # what the client gets if the app fails before answering

        async def send_with_id(message: Message) -> None:
            nonlocal response_status
            if message["type"] == "http.response.start":
                response_status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            for check in self.admission:
                refusal = check(scope)
                if refusal is not None:
                    await refusal.send(send_with_id)
                    return
            if has_body:
                receive = _limited_body(scope, receive, self.max_body_bytes)
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
            if self.access_log is not None:
                self.access_log.request(
                    scope["method"], scope["path"], response_status, started_ns, request_id
                )


def _safe_request_id(value: bytes) -> str | None:
    """The caller's id, if it is safe to log and to forward."""
    candidate = value.decode("latin-1")
    return candidate if _VALID_REQUEST_ID.fullmatch(candidate) else None


# A made request id only has to be unique, not secret: 64 random bits per process (drawn
# again in a forked worker) and a counter, 32 hex digits in all, with no random draw per
# request.
_id_prefix = ""
_id_counter = itertools.count()


def _new_request_id() -> str:
    return f"{_id_prefix}{next(_id_counter):016x}"


def _renew_request_ids() -> None:
    global _id_prefix, _id_counter
    _id_prefix = f"{getrandbits(64):016x}"
    _id_counter = itertools.count()


_renew_request_ids()
os.register_at_fork(after_in_child=_renew_request_ids)


def _limited_body(scope: Scope, receive: Receive, max_bytes: int) -> Receive:
    """`receive` with a size limit: 413 once the body passes `max_bytes`.

    Checked as the app reads, and before reading anything when the declared
    Content-Length is already too large.
    The 413 is an HTTPException, so FastAPI answers it however the body is read.
    (FastAPI's own `max_body_size` does the same job at several times the cost per request.)
    """
    received = -1  # nothing read yet

    async def limited_receive() -> Message:
        nonlocal received
        if received < 0:
            received = 0
            if _declared_length(scope) > max_bytes:
                raise _body_too_large()
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > max_bytes:
                raise _body_too_large()
        return message

    return limited_receive


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit():
            return int(value)
    return 0


def _body_too_large() -> HTTPException:
    return HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "Request body too large")
