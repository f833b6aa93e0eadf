"""``make bench``: each promise of issue 11 against its baseline, to bench/RESULTS.md and bench/results.json.

1. nameko RPC: sequential ``intake.ping`` calls through the standalone ``ClusterRpcClient``.
2. raw AMQP: the same request/reply pattern with pika (a responder process replying to
   ``reply_to``), on the same broker in the same run — the floor nameko's overhead is measured from.
3. slice: applications from submit to recorded SMS, with several windows working at once.

Not part of ``make test``: timings belong here, never in pass/fail tests.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import os  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from bench import cases, pipelined, routing  # noqa: E402
from bench import figures as tables  # noqa: E402
from bench import tick as tick_bench  # noqa: E402
from bench.figures import REPEATS, Figure, Row, repeat  # noqa: E402
from tools.drive import Outcome, decide, finish, sample_application  # noqa: E402
from tools.stack import ROOT, Stack, missing_brokers, running_stack  # noqa: E402

RPC_CALLS = int(os.environ.get("BENCH_RPC_CALLS", "500"))
SLICE_APPLICATIONS = int(os.environ.get("BENCH_APPLICATIONS", "60"))
SLICE_WINDOWS = int(os.environ.get("BENCH_WINDOWS", "6"))
PIPELINED_CALLS = int(os.environ.get("BENCH_PIPELINED_CALLS", "2000"))
TICK_DEADLINES = int(os.environ.get("BENCH_DEADLINES", "1000000"))
ROUTING_CASES = int(os.environ.get("BENCH_ROUTING_CASES", "2000"))
E2E_CASES = int(os.environ.get("BENCH_CASES", "40"))
E2E_WINDOWS = int(os.environ.get("BENCH_CASE_WINDOWS", "8"))
RESULTS = ROOT / "bench" / "RESULTS.md"

RESPONDER = """
import sys, pika
connection = pika.BlockingConnection(pika.URLParameters(sys.argv[1]))
channel = connection.channel()
channel.queue_declare(sys.argv[2], auto_delete=True)
def reply(ch, method, props, body):
    ch.basic_publish("", props.reply_to, body, pika.BasicProperties(correlation_id=props.correlation_id))
    ch.basic_ack(method.delivery_tag)
channel.basic_consume(sys.argv[2], reply)
print("ready", flush=True)
channel.start_consuming()
"""


@dataclass
class Timing:
    calls: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.calls / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def timed(call: Any, n: int) -> Timing:
    latencies = []
    started = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - t0)
    return Timing(n, time.perf_counter() - started, latencies)


def nameko_rpc(stack: Stack) -> Timing:
    """nameko's own standalone client (the stack's test client is sunlight's, so name it here)."""
    from nameko.standalone.rpc import ClusterRpcClient

    with ClusterRpcClient(uri=stack.amqp_uri, timeout=10) as rpc:
        for _ in range(20):  # warm up: connections, queue declarations
            rpc.intake.ping()
        return timed(rpc.intake.ping, RPC_CALLS)


def sunlight_rpc(stack: Stack) -> Timing:
    """The kept-open client (sunlight.rpc.RpcClient) against the same services."""
    from sunlight.rpc import RpcClient

    with RpcClient(stack.amqp_uri, timeout=10) as rpc:
        for _ in range(20):
            rpc.intake.ping()
        return timed(rpc.intake.ping, RPC_CALLS)


def raw_amqp(stack: Stack) -> Timing:
    import pika

    queue = f"bench-echo-{uuid.uuid4().hex[:6]}"
    responder = subprocess.Popen([sys.executable, "-c", RESPONDER, stack.amqp_uri, queue],
                                 stdout=subprocess.PIPE, text=True)
    try:
        assert responder.stdout is not None and responder.stdout.readline().strip() == "ready"
        connection = pika.BlockingConnection(pika.URLParameters(stack.amqp_uri))
        channel = connection.channel()
        reply_queue = channel.queue_declare("", exclusive=True).method.queue
        replies: dict[str, bytes] = {}
        channel.basic_consume(reply_queue, lambda _c, _m, props, body: replies.__setitem__(props.correlation_id, body),
                              auto_ack=True)

        def round_trip() -> None:
            correlation = uuid.uuid4().hex
            channel.basic_publish("", queue, b'{"args": [], "kwargs": {}}',
                                  pika.BasicProperties(reply_to=reply_queue, correlation_id=correlation))
            while correlation not in replies:
                connection.process_data_events(time_limit=1)
            del replies[correlation]

        for _ in range(20):
            round_trip()
        result = timed(round_trip, RPC_CALLS)
        connection.close()
        return result
    finally:
        responder.terminate()
        responder.wait(10)


def slice_throughput(stack: Stack) -> tuple[float, float, list[float]]:
    """Applications per second from first submit to last SMS; and each one's submit-to-SMS time."""
    applications = [sample_application(i) for i in range(SLICE_APPLICATIONS)]
    pool = eventlet.GreenPool(SLICE_WINDOWS)
    clients = eventlet.Queue()
    from sunlight.rpc import RpcClient

    opened = [RpcClient(stack.amqp_uri, timeout=30) for _ in range(SLICE_WINDOWS)]
    for client in opened:
        clients.put(client.start())

    def one(application: dict[str, Any]) -> float:
        rpc = clients.get()
        try:
            t0 = time.perf_counter()
            outcome = Outcome(receipt=rpc.intake.submit_application(application))
            decide(rpc, outcome.number, timeout=60)
            finish(rpc, outcome, timeout=60)
            return time.perf_counter() - t0
        finally:
            clients.put(rpc)

    started = time.perf_counter()
    each = list(pool.imap(one, applications))
    elapsed = time.perf_counter() - started
    for client in opened:
        client.stop()
    return SLICE_APPLICATIONS / elapsed, elapsed, each


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    memory_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")), 0)
    return (f"{cpu}, {os.cpu_count()} cores, {memory_kb / 1024 / 1024:.1f} GiB RAM; "
            f"{platform.system()} {platform.release()}; Python {platform.python_version()}")


def rate(timing: Timing) -> float:
    return timing.per_second


def profile(stack: Stack, service: str, seconds: int, out: Path) -> subprocess.Popen[bytes] | None:
    """py-spy on one service process while load runs (None when py-spy is not installed)."""
    spy = Path(sys.executable).with_name("py-spy")
    pid = next((p.pid for key, p in stack.processes.items() if key.startswith(service)), None)
    if not spy.exists() or pid is None:
        return None
    return subprocess.Popen([str(spy), "record", "-p", str(pid), "-d", str(seconds), "-r", "50", "-f", "raw",
                             "-o", str(out), "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def hottest(raw: Path, top: int = 6) -> list[tuple[str, float]]:
    """Own-time share of the hottest frames in a py-spy raw (collapsed stacks) file."""
    own: dict[str, int] = {}
    total = 0
    for line in raw.read_text().splitlines() if raw.exists() else []:
        stack_text, _, count = line.rpartition(" ")
        leaf = stack_text.split(";")[-1]
        own[leaf] = own.get(leaf, 0) + int(count)
        total += int(count)
    return [(frame, n / total) for frame, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]] if total else []


def end_to_end(backend: str, rows: list[Row], notes: list[str]) -> None:
    figures = Figure("cases/s")
    latencies: list[float] = []
    fresh(ROOT / "var" / f"bench-{backend}")
    with running_stack(ROOT / "var" / f"bench-{backend}", backend=backend) as stack:
        with stack.rpc_client(timeout=30):
            pass
        cases.run(stack, 6, 3, first=900_000)  # warm up
        spy = None
        for n in range(REPEATS):
            if n == REPEATS - 1 and backend == "postgresql":
                spy = profile(stack, "workflow", 8, ROOT / "var" / "bench-workflow.pyspy")
            per_second, each = cases.run(stack, E2E_CASES, E2E_WINDOWS, first=(n + 1) * 10_000)
            figures.values.append(per_second)
            latencies.extend(each)
        if spy is not None:
            spy.wait(30)
            hot = hottest(ROOT / "var" / "bench-workflow.pyspy")
            notes.append("py-spy on workflow (PostgreSQL run), own time of the hottest frames: " + "; ".join(
                f"`{frame}` {share:.0%}" for frame, share in hot))
    rows.append(Row(f"e2e_shop_sign_{backend}", f"shop-sign cases/s end to end, {backend}", figures,
                    target="≥ 50 cases/s", met=figures.median >= 50,
                    note=f"{50 / figures.median:.0f}× short" if figures.median < 50 else ""))
    p50, p99 = cases.percentile(latencies, 50) * 1000, cases.percentile(latencies, 99) * 1000
    rows.append(Row(f"e2e_shop_sign_{backend}_p50", f"shop-sign case latency p50, {backend}",
                    Figure("ms", [p50]), higher_is_better=False,
                    note=f"p99 {p99:.0f} ms over {len(latencies)} cases, {E2E_WINDOWS} at a time"))
    rows.append(Row(f"e2e_shop_sign_{backend}_p99", f"shop-sign case latency p99, {backend}",
                    Figure("ms", [p99]), higher_is_better=False))


def fresh(run_dir: Path) -> None:
    """Each benchmark starts from empty databases: numbers, queues and repeats of an earlier run skew it."""
    import shutil

    shutil.rmtree(run_dir, ignore_errors=True)


def main() -> int:
    missing = missing_brokers(("RabbitMQ", "Redis", "PostgreSQL"))
    if missing:
        print("\n".join(missing), file=sys.stderr)
        return 1
    rows: list[Row] = []
    notes: list[str] = []
    slice_error = ""
    fresh(ROOT / "var" / "bench")
    with running_stack(ROOT / "var" / "bench", backend="sqlite") as stack:
        raw = repeat(lambda: rate(raw_amqp(stack)), "calls/s")
        named = repeat(lambda: rate(nameko_rpc(stack)), "calls/s")
        fast = repeat(lambda: rate(sunlight_rpc(stack)), "calls/s")
        raw_piped = repeat(lambda: pipelined.raw_pipelined(stack, RESPONDER, PIPELINED_CALLS), "calls/s")
        piped = repeat(lambda: pipelined.sunlight_pipelined(stack, PIPELINED_CALLS), "calls/s")
        try:
            slice_runs = [slice_throughput(stack)]
        except TimeoutError as lost:  # an application that never finished is a finding, not a crash
            slice_runs, slice_error = [], str(lost)
    for key, what, figure, base, base_what in (
            ("rpc_nameko_sequential", "nameko ClusterRpcClient, sequential", named, raw, "raw pika sequential"),
            ("rpc_sunlight_sequential", "sunlight RpcClient, sequential", fast, raw, "raw pika sequential"),
            ("rpc_sunlight_pipelined", f"sunlight RpcClient.call_async, {pipelined.WINDOW} in flight", piped,
             raw_piped, f"raw pika, {pipelined.WINDOW} in flight")):
        within = base.median / figure.median
        rows.append(Row(key, what, figure, base_what, base, target="within 3× of raw", met=within <= 3,
                        note=f"{within:.1f}× slower than raw"))
    if slice_runs:
        rows.append(Row("slice_applications", f"slice (register + shop sign, {SLICE_WINDOWS} at a time), once",
                        Figure("applications/s", [r[0] for r in slice_runs]), note="no target in the issue"))
    else:
        notes.append(f"slice: did not finish — {slice_error}")

    tick, memory, found = tick_bench.redis_tick(TICK_DEADLINES, REPEATS)
    unindexed, indexed, found_sql = tick_bench.sql_scan(TICK_DEADLINES, REPEATS)
    assert found == found_sql, (found, found_sql)
    rows.append(Row("tick_redis_vs_scan", f"supervision tick, {TICK_DEADLINES:,} open deadlines (Redis ZRANGEBYSCORE)",
                    tick, "PostgreSQL scan, no index", unindexed, higher_is_better=False,
                    target="≤ 50 ms, ≥ 100× the scan", met=tick.median <= 50 and unindexed.median / tick.median >= 100,
                    note=f"{unindexed.median / tick.median:.0f}× the unindexed scan"))
    rows.append(Row("tick_redis_vs_indexed", "supervision tick (Redis), against an indexed SQL query", tick,
                    "PostgreSQL, index on due_at", indexed, higher_is_better=False,
                    note="an index does what the sorted set does"))
    rows.append(Row("tick_memory", "Redis memory per open deadline", memory,
                    note="values: MEMORY USAGE of the key / n, then INFO used_memory after−before / n"))

    ours = repeat(lambda: routing.sunlight_rate(ROUTING_CASES), "transitions/s")
    try:
        spiff = repeat(lambda: routing.spiff_rate(ROUTING_CASES // 10), "transitions/s")
    except ImportError:
        spiff = None
    rows.append(Row("routing_core", "workflow engine, shop-sign in process", ours, "SpiffWorkflow 3.2.0, same BPMN",
                    spiff, target="≥ 10× SpiffWorkflow",
                    met=None if spiff is None else ours.median / spiff.median >= 10,
                    note="SpiffWorkflow not installed" if spiff is None else ""))

    end_to_end("sqlite", rows, notes)
    end_to_end("postgresql", rows, notes)

    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    tables.write_json(rows, ROOT / "bench" / "results.json", machine(), when)
    section = "\n".join([
        f"## {when} — `make bench`", "",
        f"Machine: {machine()}. Broker: local RabbitMQ; five `nameko run` processes. Each figure is the "
        f"median of {REPEATS} repeats in one run, ± half the spread (max − min); the baseline is measured in the "
        "same run. \"Ratio\" is how many times better than the baseline (below 1: worse).", "",
        tables.table(rows), "", *(f"- {note}" for note in notes), "",
    ])
    print(section)
    header = "# Benchmark results\n\nNewest first. Produced by `make bench` (bench/run.py).\n\n"
    previous = RESULTS.read_text().removeprefix(header) if RESULTS.exists() else ""
    RESULTS.write_text(header + section + "\n" + previous)
    return 0


if __name__ == "__main__":
    sys.exit(main())
