"""Idempotent writes: the `Idempotency-Key` request header, as the IETF draft
(draft-ietf-httpapi-idempotency-key-header) describes it.

A `POST` or `PATCH` carrying a key is done once: a retry with the same key and the same
body gets the first response again (with `Idempotent-Replayed: true`), the same key with
another body is refused (422), and a retry while the first is still running is refused
(409). Without the header a request runs as usual. Keys are kept for a retention window
(a setting) in a bounded store: the broker's Redis where there is one, else this process.
Only an answer that took effect (below 400) is kept: after a refusal (4xx) or a failure
(5xx, an error) the key is free again, so a corrected request or a retry runs.

Hand-written, with the reason: no maintained library implements the draft's rules. The
one ASGI middleware on the package index for it, asgi-idempotency-header, replays the
first response to a request that reuses a key with another body (the draft asks for 422)
and keeps only JSON answers.
"""

import base64
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from fastapi import Header
from pydantic import Field
from pydantic_settings import BaseSettings
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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

    idempotency_retention_seconds: int = Field(
        default=86_400,
        ge=1,
        description="How long an Idempotency-Key is remembered; a retry after that runs again.",
    )
    idempotency_max_keys: int = Field(
        default=10_000,
        ge=1,
        description="Keys remembered in this process at most (oldest forgotten first); "
        "a shared store keeps them for the retention window instead.",
    )


class KeyStore(Protocol):
    """Where keys and their first answers are kept, for `retention` seconds each."""

    async def add(self, key: str, value: str, retention: int) -> bool:
        """Keep `value` under `key` unless the key is kept already; True if added."""

    async def get(self, key: str) -> str | None: ...

    async def put(self, key: str, value: str, retention: int) -> None: ...

    async def delete(self, key: str) -> None: ...


class MemoryKeyStore:
    """Keys kept in this process, at most `max_keys` of them (oldest forgotten first)."""

    def __init__(self, max_keys: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_keys = max_keys
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, str]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def add(self, key: str, value: str, retention: int) -> bool:
        if await self.get(key) is not None:
            return False
        await self.put(key, value, retention)
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

    async def put(self, key: str, value: str, retention: int) -> None:
        self._entries[key] = (self._clock() + retention, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_keys:
            self._entries.popitem(last=False)

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)


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


class IdempotencyKeys:
    """ASGI middleware: writes with an `Idempotency-Key` header take effect once."""

    def __init__(
        self,
        app: ASGIApp,
        store: KeyStore,
        namespace: str,
        retention_seconds: int,
        max_body_bytes: int,
    ) -> None:
        self.app = app
        self.store = store
        self.namespace = namespace
        self.retention = retention_seconds
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
        stored_key = f"{self.namespace}:idempotency:{scope['method']}:{path}:{key}"
        fingerprint = hashlib.sha256(body).hexdigest()
        if await self.store.add(stored_key, _Record(fingerprint).dumps(), self.retention):
            receive = _replay(body, receive, more=False)
            await self._first(stored_key, fingerprint, scope, receive, send)
        else:
            refusal_or_answer = await self._again(stored_key, fingerprint)
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
            await self.store.delete(stored_key)
            raise
        if answer["status"] >= 400:  # refused or failed: nothing took effect, a retry may run
            await self.store.delete(stored_key)
            return
        answer["body"] = base64.b64encode(b"".join(chunks)).decode("ascii")
        await self.store.put(stored_key, _Record(fingerprint, answer).dumps(), self.retention)


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
