"""Request ids, by asgi-correlation-id.

Each request takes the caller's `X-Request-ID` when it is a safe token, or gets a new one
(32 hex digits); the id is echoed on the response, carried by every log line of the request
(`request_id`) and sent on with outbound calls and published events.
"""

import re

from asgi_correlation_id import CorrelationIdMiddleware, correlation_id
from fastapi import FastAPI

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


def is_safe_request_id(value: str) -> bool:
    """Safe to log and to forward: letters, digits, '.', '_' and '-', at most 128."""
    return _SAFE_REQUEST_ID.fullmatch(value) is not None


def current_request_id() -> str | None:
    """The id of the request (or message) being handled, if any."""
    return correlation_id.get()


def add_request_ids(app: FastAPI) -> None:
    app.add_middleware(
        CorrelationIdMiddleware,
        header_name=REQUEST_ID_HEADER,
        validator=is_safe_request_id,
    )
