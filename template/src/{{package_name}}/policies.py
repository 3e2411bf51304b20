"""What the outbound policies share: the shape of a policy, and whose failure a failure is.

A policy wraps one outbound call: it gets the method, the path and the next step of
the chain (`call`), and decides whether, when and how often to run it.
`outbound.py` composes the chosen policies in one fixed order.
"""

from collections.abc import Awaitable, Callable
from typing import Protocol

import httpx
from prometheus_client import Counter

Call = Callable[[], Awaitable[httpx.Response]]


class Policy(Protocol):
    async def __call__(self, method: str, path: str, call: Call) -> httpx.Response: ...


class Rejected(Exception):
    """Refused here, before anything was sent: the upstream never saw the call."""


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
