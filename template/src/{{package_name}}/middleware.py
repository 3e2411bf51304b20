"""ASGI middleware: request ids with one log line per request, and a body size limit.

Both are plain ASGI (no BaseHTTPMiddleware), so a request costs them microseconds.
"""

import re
import time
from random import getrandbits

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .logs import AccessLog, request_id_var

REQUEST_ID_HEADER = "x-request-id"
_REQUEST_ID_HEADER = REQUEST_ID_HEADER.encode()
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


class RequestContextMiddleware:
    """Take the caller's X-Request-ID (or make one), expose it to logs, echo it back.

    With an `access_log`, one JSON line per request: method, path, status, duration.
    """

    def __init__(self, app: ASGIApp, access_log: AccessLog | None = None) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # A made id only has to be unique, not secret: no system call for it.
        request_id = _incoming_request_id(scope) or f"{getrandbits(128):032x}"
        id_header = (_REQUEST_ID_HEADER, request_id.encode())
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
            if self.access_log is not None:
                duration_ms = round((time.perf_counter() - started) * 1000, 2)
                self.access_log.request(
                    scope["method"], scope["path"], status, duration_ms, request_id
                )


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == _REQUEST_ID_HEADER:
            candidate: str = value.decode("latin-1")
            # Only ids that are safe to log and to forward are kept.
            return candidate if _VALID_REQUEST_ID.fullmatch(candidate) else None
    return None


class BodyTooLarge(Exception):
    pass


class BodySizeLimitMiddleware:
    """Answer 413 to a request body larger than `max_bytes`, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        has_body = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                if value.isdigit() and int(value) > self.max_bytes:
                    await _send_413(send)
                    return
                has_body = value != b"0"
            elif name == b"transfer-encoding":
                has_body = True
        if not has_body:  # nothing to count: no wrapping, no cost
            await self.app(scope, receive, send)
            return

        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not response_started:
                await _send_413(send)


async def _send_413(send: Send) -> None:
    body = b'{"detail":"Request body too large"}'
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
