"""Structured JSON logs; every line carries the id of the request it belongs to."""

import asyncio
import json
import logging
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from json.encoder import encode_basestring
from time import perf_counter_ns, time_ns
from typing import Any, TextIO

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# Attributes every LogRecord has; anything else was passed with `extra=` and is logged too.
_RECORD_FIELDS = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id and extras."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in record.__dict__.items():
            if key not in _RECORD_FIELDS and key not in payload:
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)


_default_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _default_factory(*args, **kwargs)
    record.request_id = request_id_var.get()
    return record


def configure_logging(level: str = "INFO") -> None:
    """Send every log line, the server's included, to stderr as JSON."""
    logging.setLogRecordFactory(_record_with_request_id)
    # Fields the JSON lines do not carry: skip collecting them for every record.
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # The request middleware logs each request; uvicorn's access log would repeat it.
    # With no handler to reach, uvicorn skips it outright (it checks `hasHandlers()`),
    # instead of formatting its arguments for every request only to drop the line.
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False


class AccessLog:
    """One JSON line per request, in the same shape as the other log lines.

    Written without the logging machinery (a LogRecord per request costs more than
    serving a small request) and buffered, like nginx's `access_log ... buffer= flush=`:
    a request only notes its numbers; the lines are formatted and written together, at
    least every `flush_seconds`, every `max_lines` requests and at shutdown. Each line
    carries the time its request finished, so a late write never misdates it.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        logger: str = f"{__package__}.access",
        flush_seconds: float = 0.5,
        max_lines: int = 512,
    ) -> None:
        self.stream = stream or sys.stderr
        self.flush_seconds = flush_seconds
        self.max_lines = max_lines
        self._prefix = f'", "level": "INFO", "logger": {encode_basestring(logger)}, '
        self._pending: list[tuple[int, int, str, str, int, str]] = []
        self._flush_scheduled = False

    def request(
        self, method: str, path: str, status: int, started_ns: int, request_id: str
    ) -> None:
        """Note one finished request; `started_ns` is `time.perf_counter_ns()` at its start."""
        self._pending.append((started_ns, perf_counter_ns(), method, path, status, request_id))
        if len(self._pending) >= self.max_lines:
            self.flush()
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_later(self.flush_seconds, self.flush)

    def flush(self) -> None:
        """Write the noted requests' lines now."""
        self._flush_scheduled = False
        if self._pending:
            pending, self._pending = self._pending, []
            self.stream.write("".join(self._lines(pending)))
            self.stream.flush()

    def _lines(self, pending: list[tuple[int, int, str, str, int, str]]) -> Iterator[str]:
        # Requests note the monotonic clock (one clock read each); this dates them.
        wall_offset_ns = time_ns() - perf_counter_ns()
        second, second_text = -1, ""
        for started_ns, finished_ns, method, path, status, request_id in pending:
            finished_at = finished_ns + wall_offset_ns
            if finished_at // 1_000_000_000 != second:
                second = finished_at // 1_000_000_000
                second_text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            # `method` and `request_id` are plain tokens (the server and the request-id
            # check guarantee it); only `path` needs escaping.
            yield (
                f'{{"time": "{second_text}.{finished_at // 1000 % 1_000_000:06d}+00:00'
                f'{self._prefix}"message": "request finished", "request_id": "{request_id}", '
                f'"method": "{method}", "path": {encode_basestring(path)}, "status": {status}, '
                f'"duration_ms": {(finished_ns - started_ns) / 1_000_000:.2f}}}\n'
            )
