"""Messaging metrics that FastStream's Prometheus middleware does not have.

The middleware (added in runtime.py) counts broker messages received, processed (by
status: acked, nacked, rejected), published, and times them (`faststream_*` metrics).
A batch counts once per message whatever became of each event in it, so what this
service did with each event is counted here, labelled like the middleware's metrics
(`handler`: the channel name).

Created once at import, in prometheus_client's default registry, so any number of
apps can be built in one process (as tests do).
"""

from prometheus_client import Counter, Gauge

HANDLED_EVENTS = Counter(
    "messaging_handled_events",
    "Events whose side effect completed.",
    ["handler"],
)
DUPLICATE_EVENTS = Counter(
    "messaging_duplicate_events",
    "Events skipped: their message id was handled (or in progress) already.",
    ["handler"],
)
INBOX_IDS = Gauge(
    "messaging_inbox_ids",
    "Message ids the in-process inbox holds now, at most INBOX_CAPACITY (0 when the inbox "
    "is in Redis or NATS).",
)
DEAD_LETTERED_EVENTS = Counter(
    "messaging_dead_lettered_events",
    "Events given up on after the configured attempts and sent to the dead letter.",
    ["handler"],
)
