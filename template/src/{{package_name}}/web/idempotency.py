"""Idempotent writes: the `Idempotency-Key` request header, as the IETF draft
(draft-ietf-httpapi-idempotency-key-header) describes it.

A `POST` or `PATCH` carrying a key is done once: a retry with the same key and the same
body gets the first response again (with `Idempotent-Replayed: true`), the same key with
another body is refused (422), and a retry while the first is still running is refused
(409). Without the header a request runs as usual. Only an answer that took effect (below
400) is kept: after a refusal (4xx) or a failure (5xx, an error) the key is free again, so
a corrected request or a retry runs.

Where keys are kept: with messaging, where the inbox keeps its message ids (the broker
module's `build_key_store` decides, from the same settings as its inbox): Redis keys (the
broker's Redis; on RabbitMQ and Kafka the Redis of INBOX_REDIS_URL) or a JetStream
key-value bucket (NATS), named after the service and its CHANNEL_PREFIX, so the replicas
share them and services sharing a server never see each other's; each key is kept
IDEMPOTENCY_RETENTION_SECONDS. Otherwise (no messaging, memory://, RabbitMQ or Kafka without
INBOX_REDIS_URL) in this process (`MemoryKeyStore`), at most IDEMPOTENCY_MAX_KEYS of them:
each replica then knows only the keys it saw.

A request holds its key for IDEMPOTENCY_LEASE_SECONDS while it runs. If its process dies
before answering, the claim lapses after that and a retry runs the request again (the draft
leaves it to the server; nothing of the first answer was kept to send back).

Hand-written, with the reason: no maintained library implements the draft's rules. The
one ASGI middleware on the package index for it, asgi-idempotency-header, replays the
first response to a request that reuses a key with another body (the draft asks for 422)
and keeps only JSON answers.
"""

import base64
import contextlib
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

import structlog
from fastapi import Header
from pydantic import Field
from pydantic_settings import BaseSettings
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = structlog.stdlib.get_logger(__name__)

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
WRITE_METHODS = frozenset({"POST", "PATCH"})
MAX_KEY_LENGTH = 255

#: A write's OpenAPI answers to a key (400 and 422 also mean a bad key, or a reused one).
KEY_ANSWERS: dict[int | str, dict[str, Any]] = {
    409: {"description": f"A request with this {HEADER} is still being handled."},
}


async def idempotency_key_header(
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            description="Makes a retry safe: the same key and body get the first answer again; "
            "the same key with another body is refused (422); an invalid key is 400.",
        ),
    ] = None,
) -> None:
    """Declares the header in the OpenAPI document; `IdempotencyKeys` does the work."""


class IdempotencySettings(BaseSettings):
    """The idempotency keys' settings; the service's Settings include them."""

    idempotency_retention_seconds: float = Field(
        default=86_400,
        gt=0,
        description="How long an Idempotency-Key and its first answer are remembered; a "
        "retry after that runs again.",
    )
    idempotency_lease_seconds: float = Field(
        default=60,
        gt=0,
        description="How long a request holds its key while it runs: a retry after that, if "
        "the first never answered (its process died), runs again. Above the longest write.",
    )
    idempotency_max_keys: int = Field(
        default=10_000,
        ge=1,
        description="Keys an in-process store keeps at most (oldest forgotten first); a shared "
        "store (Redis, NATS) keeps each for the retention window instead.",
    )


class KeyStoreUnavailable(Exception):
    """The store of keys could not be reached: the request is refused with 503."""


class KeyStore(Protocol):
    """Where keys and their first answers are kept, each for the `seconds` it is given."""

    async def add(self, key: str, value: str, seconds: float) -> bool:
        """Keep `value` under `key` unless the key is kept already; True if added."""
        ...

    async def get(self, key: str) -> str | None: ...

    async def put(self, key: str, value: str, seconds: float) -> None: ...

    async def delete(self, key: str) -> None: ...

    async def clear(self) -> None:
        """Forget every key of this service (tests and clean-up)."""
        ...

    async def close(self) -> None:
        """Let go of the store's connection, if it has one of its own."""
        ...


class MemoryKeyStore:
    """Keys kept in this process, at most `max_keys` of them (oldest forgotten first).

    Hand-written: an insertion-ordered dict with expiry times is the whole store.
    """

    def __init__(self, max_keys: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_keys = max_keys
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def add(self, key: str, value: str, seconds: float) -> bool:
        if await self.get(key) is not None:
            return False
        await self.put(key, value, seconds)
        return True

    async def get(self, key: str) -> str | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires <= self._clock():
            del self._entries[key]
            return None
        return value

    async def put(self, key: str, value: str, seconds: float) -> None:
        self._entries[key] = (self._clock() + seconds, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_keys:
            self._entries.popitem(last=False)

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)

    async def clear(self) -> None:
        self._entries.clear()

    async def close(self) -> None:
        """Nothing to close."""


@dataclass(frozen=True)
class _Record:
    """What is kept under a key: the request's fingerprint, and its answer once there is one."""

    fingerprint: str
    answer: dict[str, Any] | None = None

    def dumps(self) -> str:
        return json.dumps({"fingerprint": self.fingerprint, "answer": self.answer})

    @classmethod
    def loads(cls, text: str) -> "_Record":
        data = json.loads(text)
        return cls(fingerprint=data["fingerprint"], answer=data["answer"])


def parse_key(value: str) -> str | None:
    """The key of a header value (a bare token or the draft's quoted string); None if invalid."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    if not 0 < len(value) <= MAX_KEY_LENGTH or not value.isprintable():
        return None
    return value


def _refusal(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def _unavailable() -> JSONResponse:
    return JSONResponse(
        {"detail": f"{HEADER}s cannot be checked now; retry"},
        status_code=503,
        headers={"Retry-After": "1"},
    )


class IdempotencyKeys:
    """ASGI middleware: writes with an `Idempotency-Key` header take effect once."""

    def __init__(
        self,
        app: ASGIApp,
        store: KeyStore,
        retention_seconds: float,
        lease_seconds: float,
        max_body_bytes: int,
    ) -> None:
        self.app = app
        self.store = store
        self.retention = retention_seconds
        self.lease = lease_seconds
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        raw = Headers(scope=scope).get(HEADER)
        if raw is None:
            await self.app(scope, receive, send)
            return
        key = parse_key(raw)
        if key is None:
            message = f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters"
            await _refusal(400, message)(scope, receive, send)
            return
        body, complete = await _read_body(receive, self.max_body_bytes)
        if not complete:  # too large: the app answers 413 without taking effect
            await self.app(scope, _replay(body, receive, more=True), send)
            return
        path = scope.get("root_path", "") + scope["path"]
        stored_key = f"{scope['method']} {path} {key}"  # the store adds the service's name
        fingerprint = hashlib.sha256(body).hexdigest()
        try:
            first = await self.store.add(stored_key, _Record(fingerprint).dumps(), self.lease)
            refusal_or_answer = None if first else await self._again(stored_key, fingerprint)
        except KeyStoreUnavailable:
            await _unavailable()(scope, receive, send)
            return
        if refusal_or_answer is None:
            receive = _replay(body, receive, more=False)
            await self._first(stored_key, fingerprint, scope, receive, send)
        else:
            await refusal_or_answer(scope, receive, send)

    async def _again(self, stored_key: str, fingerprint: str) -> ASGIApp:
        """What a request with a key seen before gets: a refusal, or the first answer."""
        text = await self.store.get(stored_key)
        if text is None:  # expired in between: the caller may retry at once
            return _refusal(409, f"This {HEADER} was just released; retry")
        record = _Record.loads(text)
        if record.fingerprint != fingerprint:
            return _refusal(422, f"This {HEADER} was used with another request body")
        if record.answer is None:
            return _refusal(
                409, f"A request with this {HEADER} is still being handled; retry later"
            )
        return _Replay(record.answer)

    async def _first(
        self,
        stored_key: str,
        fingerprint: str,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        answer: dict[str, Any] = {"status": 500, "headers": [], "body": ""}
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = [
                    [name.decode("latin-1"), value.decode("latin-1")]
                    for name, value in message.get("headers", [])
                    if name.lower() not in (b"date", b"server", b"x-request-id")
                ]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, keep)
        except BaseException:
            await self._release(stored_key)
            raise
        if answer["status"] >= 400:  # refused or failed: nothing took effect, a retry may run
            await self._release(stored_key)
            return
        answer["body"] = base64.b64encode(b"".join(chunks)).decode("ascii")
        try:
            await self.store.put(stored_key, _Record(fingerprint, answer).dumps(), self.retention)
        except KeyStoreUnavailable:  # answered already: a retry after the lease runs again
            logger.warning("idempotency key not kept: its store is unavailable", key=stored_key)

    async def _release(self, stored_key: str) -> None:
        """Free the key for a retry (if the store is unreachable, the lease frees it)."""
        with contextlib.suppress(KeyStoreUnavailable):
            await self.store.delete(stored_key)


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The request body, and whether it was read whole (False: longer than `limit`)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), True
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks), False
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes, receive: Receive, *, more: bool) -> Receive:
    """A `receive` that gives `body` first (`more`: the client sends more), then the rest."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return again


class _Replay:
    """The first answer to a key, sent again with `Idempotent-Replayed: true`."""

    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _send_answer(self.answer, send)


async def _send_answer(answer: dict[str, Any], send: Send) -> None:
    headers = [
        (name.encode("latin-1"), value.encode("latin-1")) for name, value in answer["headers"]
    ]
    headers.append((REPLAYED_HEADER.lower().encode(), b"true"))
    await send({"type": "http.response.start", "status": answer["status"], "headers": headers})
    await send({"type": "http.response.body", "body": base64.b64decode(answer["body"])})
