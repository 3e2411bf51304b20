"""What the outbound policies share: the shape of a policy, whose failure a failure is,
and the deadline of the call under way.

A policy wraps one outbound call: it gets the method, the path and the next step of
the chain (`call`), and decides whether, when and how often to run it.
`client.py` composes the chosen policies in one fixed order.
"""

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Protocol

import httpx
from prometheus_client import Counter

Call = Callable[[], Awaitable[httpx.Response]]

#: When the outbound call under way must be over, in event-loop time (`loop.time()`);
#: None: no deadline. `UpstreamClient.request` sets it for the whole call.
call_deadline: ContextVar[float | None] = ContextVar("call_deadline", default=None)

#: The `Idempotency-Key` of the write under way, the same on every attempt; None: none sent.
#: A write with a key is safe to repeat (the upstream answers a repeat with its first answer).
call_idempotency_key: ContextVar[str | None] = ContextVar("call_idempotency_key", default=None)


class Policy(Protocol):
    async def __call__(self, method: str, path: str, call: Call) -> httpx.Response: ...


class Rejected(Exception):
    """Refused here, before anything was sent: the upstream never saw the call."""


class AttemptTimeout(httpx.TimeoutException):
    """One attempt took longer than the timeout, as a whole (httpx's own timeouts bound
    each phase: an upstream trickling a byte at a time never trips them)."""


class DeadlineExceeded(AttemptTimeout):
    """The call's deadline passed: no time is left for another attempt."""


def is_upstream_failure(exc: BaseException) -> bool:
    """The upstream failed: no answer in time, a broken connection, or a 5xx.

    A 4xx is an answer (the upstream works; the request was wrong), so it is no failure.
    """
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code >= 500
    return isinstance(exc, httpx.TransportError)


REJECTED_CALLS = Counter(
    "outbound_calls_rejected",
    "Outbound calls refused by a policy before anything was sent.",
    ["upstream", "reason"],
)
