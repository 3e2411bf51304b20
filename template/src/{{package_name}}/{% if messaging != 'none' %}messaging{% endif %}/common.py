"""What every broker module (broker.py) shares: how its client is built and how a
handler reads the message it is handling."""

import logging
import os
import socket
from collections.abc import Mapping
from typing import Any

from faststream import ContextRepo

from .events import DEAD_LETTER_ATTEMPTS_HEADER

GRACEFUL_TIMEOUT_SECONDS = 10.0
# Messages taken from the broker at once (Redis, NATS, Kafka). A batch costs the
# framework's per-message work once instead of per message; its events are still
# handled (and deduplicated) one by one.
BATCH_SIZE = 100
# FastStream logs through the service's JSON logs; its per-message lines are DEBUG.
LOGGER = logging.getLogger("faststream")
MESSAGE_LOG_LEVEL = logging.DEBUG


def headers_of_current_message(context: ContextRepo) -> Mapping[str, Any]:
    """The headers of the message being handled (`broker.context`).

    Read from the broker's context rather than injected with `Context(...)`: that
    dependency is resolved in a worker thread, a third of the cost of each message.
    """
    headers: Mapping[str, Any] = context.get_local("message").headers
    return headers


def batch_headers_of_current_message(context: ContextRepo) -> list[Mapping[str, Any]]:
    """The headers of each message of the batch being handled, in the batch's order."""
    headers: list[Mapping[str, Any]] = context.get_local("message").batch_headers
    return headers


def consumer_name() -> str:
    """This process's name within consumer groups."""
    return f"{socket.gethostname()}-{os.getpid()}"


def attempts_reason(headers: Mapping[str, str]) -> str:
    """What a dead letter's headers say of why it is one: `failed 3 attempts`, or ""."""
    attempts = headers.get(DEAD_LETTER_ATTEMPTS_HEADER)
    return f"failed {attempts} attempts" if attempts else ""
