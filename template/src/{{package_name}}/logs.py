"""Structured JSON logs; every line carries the id of the request it belongs to."""

import asyncio
import json
import logging
import sys
import time
from contextvars import ContextVar
from datetime import UTC, datetime
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
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # The request middleware logs each request; uvicorn's access log would repeat it.
    logging.getLogger("uvicorn.access").disabled = True


_to_json = json.JSONEncoder(ensure_ascii=False).encode


class AccessLog:
    """One JSON line per request, in the same shape as the other log lines.

    Written without the logging machinery (a LogRecord per request costs more than
    serving a small request) and buffered: lines are written at least every
    `flush_seconds` and at shutdown, like nginx's `access_log ... buffer= flush=`.
    Each line carries its own time, so a late write never misdates it.
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
        self._prefix = f'", "level": "INFO", "logger": {_to_json(logger)}, '
        self._lines: list[str] = []
        self._flush_scheduled = False
        self._second = -1
        self._second_text = ""

    def request(
        self, method: str, path: str, status: int, duration_ms: float, request_id: str
    ) -> None:
        """Buffer the line of one finished request.

        `method` and `request_id` are plain tokens (the server and the request-id check
        guarantee it); only `path` needs escaping.
        """
        self._lines.append(
            f'{{"time": "{self._now()}{self._prefix}"message": "request finished", '
            f'"request_id": "{request_id}", "method": "{method}", "path": {_to_json(path)}, '
            f'"status": {status}, "duration_ms": {duration_ms}}}\n'
        )
        if len(self._lines) >= self.max_lines:
            self.flush()
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_later(self.flush_seconds, self.flush)

    def _now(self) -> str:
        """The time as `datetime.now(UTC).isoformat()` writes it; each second formatted once."""
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._second_text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{self._second_text}.{int((now - second) * 1_000_000):06d}+00:00"

    def flush(self) -> None:
        """Write the buffered lines now."""
        self._flush_scheduled = False
        if self._lines:
            lines, self._lines = self._lines, []
            self.stream.write("".join(lines))
            self.stream.flush()
