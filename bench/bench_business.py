"""Business routes of a generated service: CPU cost per request of `POST /items` (with a
JSON body; the service publishes an `items.created` event) and `GET /items/{id}` on a
service with every pattern, against a bare FastAPI app with the same routes and models
doing the same work, on Redis and on the in-memory broker. Same-moment method of
bench_runtime.py: both servers pinned to one core, each loaded by its own wrk on the other.
Target: at least 0.85 of the bare app's requests per second. Then each library's cost,
by serving the service with that library's part left out.

    python bench/bench_business.py           # the full run (about 13 minutes)
    python bench/bench_business.py --quick   # one short round, to try a change
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from _harness import (
    ROOT,
    SERVER_CPU,
    Sample,
    every_pattern,
    free_port,
    machine,
    on_cpu,
    paired_ratio,
    service_python,
    table,
    verdict,
    wait_for_http,
    wrk,
)

REDIS_URL = "redis://127.0.0.1:6379/0"
REPEAT = 9
SECONDS = 2
CONNECTIONS = 32
TARGET = 0.85
ITEM_BODY = '{"name": "a widget"}'
SERVICE = "bench"  # the generated package, and its settings' prefix BENCH_

BARE_APP = '''
"""A bare FastAPI app with the service's item routes and models, doing the same work:
keep the item, and record its `items.created` event the plain way.

BARE_EVENTS=memory          an asyncio queue, drained by a task that handles each event
BARE_EVENTS=redis           redis-py XADD; a task reads the stream in batches of up to 100
                            (XREADGROUP), handles each event and acknowledges the batch (XACK)
BARE_EVENTS=redis-publish   redis-py XADD only, nothing consumes
"""

import asyncio
import os
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from uuid import UUID, uuid4

from fastapi import APIRouter, FastAPI, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class Item(ItemIn):
    id: UUID
    created_at: datetime

    @classmethod
    def new(cls, item_in: ItemIn) -> "Item":
        return cls(id=uuid4(), created_at=datetime.now(UTC), **item_in.model_dump())


class ItemCreated(BaseModel):
    model_config = ConfigDict(frozen=True)

    event_id: UUID = Field(default_factory=uuid4)
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    item_id: UUID
    name: str


EVENTS = os.environ["BARE_EVENTS"]
STREAM = os.environ.get("BARE_STREAM", "")
items: dict[UUID, Item] = {}
handled_ids: set[UUID] = set()  # the service's inbox: an event id is handled once
handled: list[ItemCreated] = []  # the service's example side effect keeps each event
queue: asyncio.Queue[ItemCreated] = asyncio.Queue()
client = None


def handle(event: ItemCreated) -> None:
    if event.event_id not in handled_ids:
        handled_ids.add(event.event_id)
        handled.append(event)


async def drain_queue() -> None:
    while True:
        handle(await queue.get())


async def drain_stream() -> None:
    import redis.asyncio as redis

    with suppress(redis.ResponseError):  # the group exists already
        await client.xgroup_create(STREAM, "bare", id="0", mkstream=True)
    while True:
        response = await client.xreadgroup("bare", "bare-1", {STREAM: ">"}, count=100, block=1000)
        for _, entries in response or []:
            for _, fields in entries:
                handle(ItemCreated.model_validate_json(fields[b"data"]))
            await client.xack(STREAM, "bare", *(entry_id for entry_id, _ in entries))


@asynccontextmanager
async def lifespan(app: FastAPI):
    global client
    if EVENTS.startswith("redis"):
        import redis.asyncio as redis

        client = redis.from_url(os.environ["BARE_REDIS_URL"], max_connections=1000)
    drain = {"memory": drain_queue, "redis": drain_stream}.get(EVENTS)
    task = asyncio.create_task(drain()) if drain else None
    yield
    if task:
        task.cancel()
    if client is not None:
        await client.aclose()


async def publish(event: ItemCreated) -> None:
    if EVENTS == "memory":
        queue.put_nowait(event)
    else:
        await client.xadd(STREAM, {"data": event.model_dump_json()})


router = APIRouter(prefix="/items")


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_item(item_in: ItemIn) -> Item:
    item = Item.new(item_in)
    await publish(ItemCreated(item_id=item.id, name=item.name))
    items[item.id] = item
    return item


@router.get("/{item_id}")
async def get_item(item_id: UUID) -> Item:
    item = items.get(item_id)
    if item is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Item not found")
    return item


app = FastAPI(lifespan=lifespan)
app.include_router(router)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
'''

VARIANT_LAUNCHER = '''
"""Serve the generated service as its console script does, with parts left out
(BENCH_VARIANT_LEAVE_OUT, comma-separated), to price each library."""

import os

leave_out = set(filter(None, os.environ.get("BENCH_VARIANT_LEAVE_OUT", "").split(",")))
from bench import app as app_module  # noqa: E402
from bench.__main__ import main  # noqa: E402
from bench.messaging import runtime  # noqa: E402

if "request-id" in leave_out:
    app_module.add_request_ids = lambda app: None
if "tracing-http" in leave_out:
    app_module.trace_requests = lambda app, provider: None
if "tracing-broker" in leave_out:
    traced_messaging = app_module.Messaging
    app_module.Messaging = lambda settings, tracer_provider=None: traced_messaging(settings)
if "metrics" in leave_out:
    app_module.add_metrics = lambda app: None
if "broker-metrics" in leave_out:
    all_middlewares = runtime._middlewares
    runtime._middlewares = lambda provider: tuple(
        m
        for m in all_middlewares(provider)
        if not isinstance(m, runtime.broker_module.PrometheusMiddleware)
    )
if "rate-limit" in leave_out:

    class WithoutBusinessDependencies(app_module.FastAPI):
        def include_router(self, router, **kwargs):
            kwargs.pop("dependencies", None)  # the inbound rate limit is the only one
            super().include_router(router, **kwargs)

    app_module.FastAPI = WithoutBusinessDependencies
main(["serve"])
'''

POST_SCRIPT = f"""
wrk.method = "POST"
wrk.body = '{ITEM_BODY}'
wrk.headers["Content-Type"] = "application/json"
"""


@dataclass(frozen=True)
class Variant:
    """The service with a part left out: patched in by VARIANT_LAUNCHER, or by settings."""

    label: str  # what was left out, for the table
    part: str  # the part's short name, for the ranking
    leave_out: tuple[str, ...] = ()
    settings: dict[str, str] = field(default_factory=dict)
    messaging: bool = False  # only on the route that publishes


VARIANTS = {
    "access-log": Variant(
        "access log off (`ACCESS_LOG=false`)",
        "the access line (uvicorn through structlog)",
        settings={"ACCESS_LOG": "false"},
    ),
    "logging": Variant(
        "every INFO line off (`LOG_LEVEL=WARNING`): the access line and the handler's",
        "structlog's INFO lines",
        settings={"LOG_LEVEL": "WARNING"},
    ),
    "request-id": Variant(
        "without asgi-correlation-id's middleware", "asgi-correlation-id", ("request-id",)
    ),
    "tracing-http": Variant(
        "without OpenTelemetry's FastAPI instrumentation",
        "OpenTelemetry's FastAPI instrumentation",
        ("tracing-http",),
    ),
    "tracing-broker": Variant(
        "without broker tracing: FastStream's telemetry middleware, the handler's span per event",
        "broker tracing (FastStream's telemetry middleware, the handler's spans)",
        ("tracing-broker",),
        messaging=True,
    ),
    "metrics": Variant(
        "without starlette-exporter's middleware", "starlette-exporter", ("metrics",)
    ),
    "broker-metrics": Variant(
        "without FastStream's Prometheus middleware",
        "FastStream's Prometheus middleware",
        ("broker-metrics",),
        messaging=True,
    ),
    "rate-limit": Variant(
        "without the inbound rate limit (`limits`, a dependency of the items router)",
        "the inbound rate limit (`limits`)",
        ("rate-limit",),
    ),
}
VARIANTS["bare-bones"] = Variant(
    "all of the above at once",
    "all",
    tuple(sorted({part for variant in VARIANTS.values() for part in variant.leave_out})),
    {"ACCESS_LOG": "false", "LOG_LEVEL": "WARNING"},
)
BROKERS = ("redis", "memory")
BROKER_LABEL = {"redis": "Redis", "memory": "in-memory (`memory://`)"}
POST, GET = "POST /items", "GET /items/{id}"


@dataclass
class Server:
    argv: list[str]
    cwd: Path
    env: dict[str, str]
    service: bool
    process: subprocess.Popen[bytes] | None = None
    base: str = ""
    urls: dict[str, str] = field(default_factory=dict)  # route: url


@dataclass(frozen=True)
class Pair:
    route: str
    baseline: str  # server names
    server: str


def render(work: Path, broker: str) -> Path:
    """Render the working tree's template (uncommitted edits included) with plain Copier."""
    import warnings

    from copier import run_copy

    source = work / "template-source"
    if not source.exists():
        shutil.copytree(ROOT / "template", source / "template")
        shutil.copytree(ROOT / "data", source / "data")  # read by copier.yml's validators
        shutil.copy2(ROOT / "copier.yml", source / "copier.yml")
    answers: dict[str, object] = {
        name: value.split(",") if name == "resilience" else value
        for name, value in every_pattern().items()
    }
    answers.update(service_name=SERVICE, messaging=broker)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run_copy(str(source), work / broker, data=answers, defaults=True, quiet=True)
    return work / broker


def start(python: Path, server: Server) -> None:
    port = free_port()
    env = {**os.environ, **server.env, "PYTHONPATH": str(server.cwd / "src")}
    if server.service:
        env.update({f"{SERVICE.upper()}_HOST": "127.0.0.1", f"{SERVICE.upper()}_PORT": str(port)})
        argv = [str(python), *server.argv]
    else:
        argv = [str(python), "-m", "uvicorn", *server.argv, "--host", "127.0.0.1",
                "--port", str(port), "--loop", "uvloop", "--http", "httptools",
                "--no-access-log"]  # fmt: skip
    server.process = subprocess.Popen(
        argv,
        cwd=server.cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=on_cpu(SERVER_CPU),
    )
    server.base = f"http://127.0.0.1:{port}"


def ready(server: Server) -> None:
    """Up (and, for the service, its broker connected); one item made for the GET route."""
    wait_for_http(f"{server.base}/readyz" if server.service else f"{server.base}/healthz", 60)
    request = urllib.request.Request(
        f"{server.base}/items",
        data=ITEM_BODY.encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        item_id = json.load(response)["id"]
    server.urls = {POST: f"{server.base}/items", GET: f"{server.base}/items/{item_id}"}


def load(server: Server, route: str, script: Path, seconds: float) -> float:
    rps, _ = wrk(server.urls[route], CONNECTIONS, seconds, script if route == POST else None)
    return rps


def at_once(
    baseline: Server, other: Server, route: str, script: Path, seconds: float, first: bool
) -> tuple[float, float]:
    """Both servers loaded at the same moment: a slowdown of the shared core hits both."""
    order = [baseline, other] if first else [other, baseline]
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda s: load(s, route, script, seconds), order))
    return (runs[0], runs[1]) if first else (runs[1], runs[0])


def delete_redis_keys(python: Path, prefix: str) -> None:
    """Delete every stream (with its consumer groups) this run made."""
    code = (
        "import sys, redis; r = redis.Redis.from_url(sys.argv[1]);"
        "keys = list(r.scan_iter(match=sys.argv[2] + '*', count=1000));"
        "keys and r.delete(*keys)"
    )
    subprocess.run([str(python), "-c", code, REDIS_URL, prefix], check=True, capture_output=True)


def measure(
    repeat: int, seconds: float
) -> tuple[dict[Pair, list[tuple[float, float]]], dict[str, object]]:
    python = service_python()
    run_prefix = f"mio-bench-business-{uuid.uuid4().hex[:8]}."
    work = Path(tempfile.mkdtemp())
    servers: dict[str, Server] = {}
    try:
        script = work / "post.lua"
        script.write_text(POST_SCRIPT)
        (work / "bare.py").write_text(BARE_APP)
        projects = {broker: render(work, broker) for broker in BROKERS}
        for project in projects.values():
            (project / "serve_variant.py").write_text(VARIANT_LAUNCHER)

        def settings(env: dict[str, str]) -> dict[str, str]:
            return {f"{SERVICE.upper()}_{name}": value for name, value in env.items()}

        lifted = {"INBOUND_RATE_LIMIT": "1000000/second"}  # or wrk would get 429s
        for broker, project in projects.items():
            broker_env = (
                {"BROKER_URL": REDIS_URL, "CHANNEL_PREFIX": f"{run_prefix}service."}
                if broker == "redis"
                else {}
            )
            servers[f"service-{broker}"] = Server(
                ["-m", SERVICE, "serve"], project, settings({**lifted, **broker_env}), True
            )
            for name, variant in VARIANTS.items():
                if broker == "redis":
                    broker_env = {"BROKER_URL": REDIS_URL, "CHANNEL_PREFIX": f"{run_prefix}{name}."}
                env = settings({**lifted, **broker_env, **variant.settings})
                env["BENCH_VARIANT_LEAVE_OUT"] = ",".join(variant.leave_out)
                servers[f"{name}-{broker}"] = Server(["serve_variant.py"], project, env, True)
        bare = {"BARE_REDIS_URL": REDIS_URL}
        for name, events in [
            ("bare-redis", "redis"),
            ("bare-redis-publish", "redis-publish"),
            ("bare-memory", "memory"),
            ("bare-memory-copy", "memory"),
        ]:
            env = {**bare, "BARE_EVENTS": events, "BARE_STREAM": f"{run_prefix}{name}.items"}
            servers[name] = Server(["bare:app"], work, env, False)

        pairs = [
            Pair(route, f"bare-{broker}", f"service-{broker}")
            for broker in BROKERS
            for route in (POST, GET)
        ]
        pairs += [
            Pair(POST, "bare-redis-publish", "service-redis"),
            Pair(POST, "bare-memory", "bare-memory-copy"),
        ]
        pairs += [
            Pair(POST, f"bare-{broker}", f"{name}-{broker}")
            for broker in BROKERS
            for name in VARIANTS
        ]
        pairs += [
            Pair(GET, "bare-memory", f"{name}-memory")
            for name, variant in VARIANTS.items()
            if not variant.messaging
        ]

        for server in servers.values():
            start(python, server)
        for server in servers.values():
            ready(server)
        for route, name in sorted({(p.route, n) for p in pairs for n in (p.baseline, p.server)}):
            load(servers[name], route, script, 1)  # warm-up
        results: dict[Pair, list[tuple[float, float]]] = {pair: [] for pair in pairs}
        for round_ in range(repeat):
            for pair in pairs:
                # Alternate which load starts first, so neither side gets a head start.
                results[pair].append(
                    at_once(
                        servers[pair.baseline],
                        servers[pair.server],
                        pair.route,
                        script,
                        seconds,
                        round_ % 2 == 0,
                    )
                )
        chosen = ", ".join(f"{k}={v}" for k, v in every_pattern().items() if k != "messaging")
        return results, {"chosen": chosen}
    finally:
        for server in servers.values():
            if server.process is not None:
                server.process.send_signal(signal.SIGTERM)
        for server in servers.values():
            if server.process is not None:
                try:
                    server.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.process.kill()
        delete_redis_keys(python, run_prefix)
        shutil.rmtree(work, ignore_errors=True)


def main(repeat: int = REPEAT, seconds: float = SECONDS) -> str:
    results, facts = measure(repeat, seconds)

    def ratio(pair: Pair) -> float:
        runs = results[pair]
        return paired_ratio([mine for _, mine in runs], [base for base, _ in runs])

    def rps(pair: Pair, *, baseline: bool = False) -> str:
        values = tuple(base if baseline else mine for base, mine in results[pair])
        return Sample("", values, "req/s").cell(0)

    judged_rows, outcomes = [], []
    for broker in BROKERS:
        for route in (POST, GET):
            pair = Pair(route, f"bare-{broker}", f"service-{broker}")
            value = ratio(pair)
            judged = verdict(value, TARGET, at_most=False)
            outcomes.append(f"`{route}` on {BROKER_LABEL[broker]} {value:.2f} ({judged})")
            judged_rows.append(
                [f"`{route}`", BROKER_LABEL[broker], rps(pair), rps(pair, baseline=True),
                 f"{value:.2f}", judged]
            )  # fmt: skip
    publish_only = Pair(POST, "bare-redis-publish", "service-redis")
    copy = Pair(POST, "bare-memory", "bare-memory-copy")
    judged_rows += [
        ["`POST /items`", "Redis, bare app only publishing (nothing consumes)",
         rps(publish_only), rps(publish_only, baseline=True), f"{ratio(publish_only):.2f}",
         "reference"],
        ["`POST /items`", "in-memory: a second copy of the bare app (the method's own error)",
         rps(copy), rps(copy, baseline=True), f"{ratio(copy):.2f}", "reference"],
    ]  # fmt: skip

    columns = [(POST, "redis"), (POST, "memory"), (GET, "memory")]
    full = {
        (route, broker): ratio(Pair(route, f"bare-{broker}", f"service-{broker}"))
        for route, broker in columns
    }

    def cost_cell(route: str, broker: str, name: str, variant: Variant) -> str:
        if route == GET and variant.messaging:
            return "–"
        value = ratio(Pair(route, f"bare-{broker}", f"{name}-{broker}"))
        share = 1 - full[(route, broker)] / value  # of the service's CPU time per request
        return f"{value:.2f} ({share:.0%})"

    cost_rows = [["nothing: the service as generated", *(f"{full[c]:.2f}" for c in columns)]]
    cost_rows += [
        [variant.label, *(cost_cell(route, broker, name, variant) for route, broker in columns)]
        for name, variant in VARIANTS.items()
    ]

    def largest(route: str, broker: str) -> str:
        shares = sorted(
            (
                1 - full[(route, broker)] / ratio(Pair(route, f"bare-{broker}", f"{n}-{broker}")),
                variant.part,
            )
            for n, variant in VARIANTS.items()
            if n != "bare-bones" and not (route == GET and variant.messaging)
        )
        return ", ".join(f"{label} {share:.0%}" for share, label in reversed(shares[-3:]))

    largest_lines = [
        f"- `{route}` on {BROKER_LABEL[broker]}: {largest(route, broker)}."
        for route, broker in columns
    ]
    shares = [
        1 - full[(route, broker)] / ratio(Pair(route, f"bare-{broker}", f"{n}-{broker}"))
        for route, broker in columns
        for n, variant in VARIANTS.items()
        if not (route == GET and variant.messaging)
    ]
    noise = max(0.0, -min(shares))
    bare_bones = {
        (route, broker): ratio(Pair(route, f"bare-{broker}", f"bare-bones-{broker}"))
        for route, broker in columns
    }
    without_all = ", ".join(
        f"{value:.2f} on `{route}`, {'memory' if broker == 'memory' else 'Redis'}"
        for (route, broker), value in bare_bones.items()
    )
    short = [value < TARGET for value in bare_bones.values()]
    reach = (
        "so these parts are not the whole gap: with all of them out the target is still "
        f"{'NOT met anywhere' if all(short) else 'NOT met everywhere'}."
        if any(short)
        else "so the target is met with all of them out."
    )
    return "\n".join(
        [
            "## Business routes of a generated service",
            "",
            f"`POST /items` (body `{ITEM_BODY}`) and `GET /items/{{id}}` (an item made",
            f"beforehand) on a generated service with every pattern ({facts['chosen']}), on",
            "Redis (the machine's Redis, a stream of this run's own) and on the in-memory choice",
            "(`memory://`), served as its console script serves it (uvicorn, uvloop, httptools,",
            "its JSON access log to a discarded stderr), tracing on but exported nowhere (no OTLP",
            "endpoint), the inbound rate limit lifted to 1,000,000/second so that wrk gets no 429.",
            "Against it, a bare FastAPI app with the same routes and pydantic models doing the",
            "same work: it keeps the item and its `items.created` event is recorded the plain",
            "way. On Redis the service publishes with FastStream (XADD) and its own subscriber",
            "reads the stream back in batches, handles each event once and acknowledges the",
            "batch (XACK); the bare app does the same with redis-py (XADD; a task doing",
            "XREADGROUP of up to 100, the same handling, XACK). On `memory://` the service runs",
            "FastStream's in-memory broker, which hands the event to the subscriber within the",
            "publish call; the bare app puts it on an asyncio queue that a task drains and",
            "handles. A second Redis baseline only publishes (the issue's first comparison).",
            "",
            "Method of the runtime section: the two servers of a pair are pinned to one core",
            f"and loaded at the same moment, each by its own wrk (1 thread, {CONNECTIONS}",
            f"connections, {seconds:g} s) on the other core, so the ratio, the median over {repeat}",
            "rounds of the per-pair ratios, is the inverse ratio of CPU time per request.",
            f"Target: at least {TARGET:.2f} of the bare app's requests per second.",
            "",
            table(["route", "broker", "service", "bare app", "ratio", "target"], judged_rows),
            "",
            f"Result: {'; '.join(outcomes)}. Measured on {machine()}.",
            "",
            "Each library's cost: the same service served with one part left out (patched out",
            "of `create_app` by a launcher in the benchmark, or by a setting), each against the",
            "same bare app at the same moment. A cell gives the ratio to the bare app, and in",
            "brackets how much of the whole service's CPU time per request that part takes",
            "(1 − ratio of the service ÷ ratio without it; a negative share is noise). The parts",
            "overlap (a log line carries the trace id, the access line the request id), so they",
            "do not add up exactly. The items domain's dependencies are `async def`: FastAPI",
            "would run a plain `def` one in its threadpool, a hand-off to a worker thread and",
            "back per request (an earlier run of this benchmark measured that at about a third",
            "of the service's CPU time on one core). The last row is what is left with all of them out: FastAPI, FastStream's publish",
            "(and its subscriber, in the same process) and the service's own code.",
            "",
            table(
                [
                    "left out (or changed)",
                    "`POST /items`, Redis",
                    "`POST /items`, memory",
                    "`GET /items/{id}`, memory",
                ],
                cost_rows,
            ),
            "",
            f"With every part above out at once the service reaches {without_all} of the bare",
            f"app, {reach} A single part's",
            f"share is noisy on a busy 2-core machine: the lowest share in this run is "
            f"{-noise:.0%}, so",
            f"a share within about {noise:.0%} of zero is not told apart from none.",
            "The three largest parts, as a share of the service's CPU time per request:",
            "",
            *largest_lines,
            "",
            "What the rest is (py-spy on the service with every part above left out, `POST",
            "/items` on `memory://`, when this benchmark was written): FastStream's in-memory",
            "broker is its test broker (`TestRedisBroker`), which runs the subscriber, its",
            "middlewares, fast_depends and the service's handler inside the publish call, and",
            "per message deep-copies the subscription and records the call on a",
            "`unittest.mock` object; the request's own path through FastAPI's routing and",
            "middleware stack; and, as the in-memory store, inbox and item log grow, Python's",
            "full garbage collections, whose cost grows with the heap.",
        ]
    )


if __name__ == "__main__":
    quick = "--quick" in sys.argv[1:]
    print(main(1, 1) if quick else main())
