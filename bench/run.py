"""``make bench``: RPC round trip against raw AMQP, and the slice's throughput; figures to bench/RESULTS.md.

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
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from tools.drive import Outcome, decide, finish, sample_application  # noqa: E402
from tools.stack import ROOT, Stack, missing_brokers, running_stack  # noqa: E402

RPC_CALLS = int(os.environ.get("BENCH_RPC_CALLS", "500"))
SLICE_APPLICATIONS = int(os.environ.get("BENCH_APPLICATIONS", "60"))
SLICE_WINDOWS = int(os.environ.get("BENCH_WINDOWS", "6"))
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
    with stack.rpc_client(timeout=10) as rpc:
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


def report(rpc: Timing, fast: Timing, raw: Timing, slice_rate: float, slice_seconds: float,
           each: list[float]) -> str:
    ratio = raw.per_second / rpc.per_second
    fast_ratio = raw.per_second / fast.per_second
    return "\n".join([
        f"## {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — `make bench`",
        "",
        f"Machine: {machine()}. Broker: local RabbitMQ; services: five `nameko run` processes, SQLite.",
        "",
        "| measure | calls | per second | p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|",
        f"| nameko RPC `intake.ping` (ClusterRpcClient) | {rpc.calls} | {rpc.per_second:,.0f} | "
        f"{rpc.percentile(50):.2f} | {rpc.percentile(95):.2f} |",
        f"| sunlight `RpcClient` (kept-open reply queue, transient) | {fast.calls} | {fast.per_second:,.0f} | "
        f"{fast.percentile(50):.2f} | {fast.percentile(95):.2f} |",
        f"| raw AMQP request/reply (pika) | {raw.calls} | {raw.per_second:,.0f} | "
        f"{raw.percentile(50):.2f} | {raw.percentile(95):.2f} |",
        "",
        f"**Raw AMQP is {ratio:.1f}× nameko's standalone client and {fast_ratio:.1f}× sunlight's `RpcClient`** "
        "(sequential round trips, same broker, same run; the services reply transient and unconfirmed).",
        "",
        f"Slice: {SLICE_APPLICATIONS} applications, {SLICE_WINDOWS} at a time, submit → two task completions → "
        f"certificate → SMS recorded → audit trail complete: **{slice_rate:.1f} applications/s** "
        f"({slice_seconds:.1f} s in all; one application's submit-to-SMS p50 "
        f"{statistics.median(each) * 1000:.0f} ms, max {max(each) * 1000:.0f} ms).",
        "",
    ])


def main() -> int:
    missing = missing_brokers(("RabbitMQ", "Redis"))
    if missing:
        print("\n".join(missing), file=sys.stderr)
        return 1
    with running_stack(ROOT / "var" / "bench", backend="sqlite") as stack:
        rpc = nameko_rpc(stack)
        fast = sunlight_rpc(stack)
        raw = raw_amqp(stack)
        slice_rate, slice_seconds, each = slice_throughput(stack)
    section = report(rpc, fast, raw, slice_rate, slice_seconds, each)
    print(section)
    header = "# Benchmark results\n\nNewest first. Produced by `make bench` (bench/run.py).\n\n"
    previous = RESULTS.read_text().removeprefix(header) if RESULTS.exists() else ""
    RESULTS.write_text(header + section + "\n" + previous)
    return 0


if __name__ == "__main__":
    sys.exit(main())
