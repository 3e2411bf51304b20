"""JSON logs from every logger in the process, through structlog.

Lines from this service's code (`structlog.stdlib.get_logger(__name__)`) and from the
standard library's loggers (uvicorn, FastStream, the broker clients, httpx) all leave as
one JSON object per line on stderr, carrying the request id and the trace and span ids of
the request or message they belong to. An exception is a field of its line
(`exception`, a list of frames), never a plain-text traceback.
"""

import logging
import sys
from typing import Any

import orjson
import structlog
from asgi_correlation_id import correlation_id
from opentelemetry import trace
from structlog.typing import EventDict, Processor, WrappedLogger

#: Loggers that bring handlers or colours of their own: their lines go to the root handler.
LIBRARY_LOGGERS = (
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "faststream",
    "faststream.access",
    "aio_pika",
    "aiormq",
    "nats",
    "aiokafka",
    "redis",
    "httpx",
)


def add_request_id(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    request_id = correlation_id.get()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    return event_dict


def add_trace_ids(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """The W3C trace and span ids of the current span, when there is one."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = format(context.trace_id, "032x")
        event_dict["span_id"] = format(context.span_id, "016x")
    return event_dict


def name_uvicorn_access_fields(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """uvicorn's access line as fields: client, method, path, http_version, status."""
    args = event_dict.pop("positional_args", ())
    if event_dict.get("logger") == "uvicorn.access" and len(args) == 5:
        client, method, path, http_version, status = args
        event_dict.update(
            event="request finished",
            client=client,
            method=method,
            path=path,
            http_version=http_version,
            status=status,
        )
    return event_dict


def _render_json(event_dict: EventDict, **_: Any) -> str:
    return orjson.dumps(event_dict, default=str).decode()


def configure_logging(level: str = "INFO") -> None:
    """Route every log line, the libraries' included, through structlog to stderr as JSON."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_request_id,
        add_trace_ids,
    ]
    # Once per process: loggers cache this configuration on first use.
    if not structlog.is_configured():
        _configure_structlog(shared)
    formatter = structlog.stdlib.ProcessorFormatter(
        pass_foreign_args=True,  # for name_uvicorn_access_fields
        foreign_pre_chain=[
            *shared,
            name_uvicorn_access_fields,
            structlog.stdlib.ExtraAdder(),
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.dict_tracebacks,
            structlog.processors.JSONRenderer(serializer=_render_json),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in LIBRARY_LOGGERS:
        library_logger = logging.getLogger(name)
        library_logger.handlers.clear()
        library_logger.propagate = True
    logging.captureWarnings(True)


def _configure_structlog(shared: list[Processor]) -> None:
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,  # below the level: dropped before any work
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
