"""``make bench-status``: only the public status lookup and its /healthz baseline, on a fresh SQLite stack.

The same measure as ``make bench``'s status rows (bench.web.status_lookup), without the rest of the
suite: for checking a change to the lookup path before and after, in the same conditions. Prints the
figures; writes nothing.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import os  # noqa: E402
import time  # noqa: E402

from bench import e2e, web  # noqa: E402
from bench.load import percentile  # noqa: E402
from tools.stack import GATEWAY, ROOT, SERVICES, running_stack  # noqa: E402


def one_at_a_time(urls: list[str], count: int) -> list[float]:
    """Latency in ms of ``count`` GETs made one after the other: the path's own cost, no queue."""
    latencies = []
    for i in range(count):
        started = time.perf_counter()
        web._get(urls[i % len(urls)])  # noqa: SLF001 - the bench's own helper
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU the processes have used so far (from /proc: other load on the machine is not counted)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()  # noqa: SIM115, PTH123
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def main() -> None:
    seconds = float(os.environ.get("BENCH_STATUS_SECONDS", "3"))
    with running_stack(e2e.fresh(ROOT / "var" / "bench-status"), services=(*SERVICES, GATEWAY)) as stack:
        p99, rate, static_p99, static_rate = web.status_lookup(stack, seconds)
        urls = web.status_urls(stack, 50, batch="alone/")
        alone: list[float] = []
        static_alone: list[float] = []
        pids = [p.pid for key, p in stack.processes.items() if key.startswith(("gateway", "intake", "workflow"))]
        cpu = static_cpu = 0.0
        for _ in range(3):  # alternating, so both see the same machine
            before = cpu_seconds(pids)
            alone += one_at_a_time(urls, 200)
            cpu += cpu_seconds(pids) - before
            before = cpu_seconds(pids)
            static_alone += one_at_a_time([f"{stack.web_url}/healthz"], 200)
            static_cpu += cpu_seconds(pids) - before
    print(f"status lookup p99 at {web.RATE}/s: {p99.text(1)} {p99.values}")
    print(f"status lookup, {web.WINDOWS} at a time: {rate.text()} {rate.values}")
    print(f"static /healthz p99 at {web.RATE}/s: {static_p99.text(1)} {static_p99.values}")
    print(f"static /healthz, {web.WINDOWS} at a time: {static_rate.text()} {static_rate.values}")
    print(f"CPU of gateway + intake + workflow per status lookup: {cpu / len(alone) * 1000:.2f} ms")
    print(f"CPU of gateway + intake + workflow per static /healthz (the floor): "
          f"{static_cpu / len(static_alone) * 1000:.2f} ms")
    for what, values in (("status lookup", alone), ("static /healthz", static_alone)):
        print(f"{what}, one at a time: median {percentile(values, 50):.1f} ms, p90 {percentile(values, 90):.1f} ms")


if __name__ == "__main__":
    main()
