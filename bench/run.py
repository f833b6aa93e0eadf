"""``make bench``: each promise of issue 11 against its baseline, to bench/RESULTS.md and bench/results.json.

Every figure is repeated (``bench.figures.REPEATS``) and its baseline measured in the same run; the
modules say what each one measures: ``rpc`` (RPC cost), ``web`` (status lookup through the gateway,
on the spot), ``sms`` (notify over SMPP), ``tick`` (supervision tick), ``routing`` (the engine in
process), ``growth`` (cost as open cases grow, with a plot), ``e2e`` (cases/s, memory, CPU, replicas).
``BENCH_QUICK=1`` runs everything small, to check the bench itself; its figures mean nothing.

Not part of ``make test``: timings belong here, never in pass/fail tests.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import os  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

from bench import e2e, growth, routing, rpc, sms, web  # noqa: E402
from bench import figures as tables  # noqa: E402
from bench import tick as tick_bench  # noqa: E402
from bench.figures import REPEATS, Figure, Row, repeat  # noqa: E402
from bench.findings import FINDINGS  # noqa: E402
from bench.load import percentile  # noqa: E402
from bench.plot import loglog  # noqa: E402
from tools.stack import GATEWAY, ROOT, SERVICES, missing_brokers, running_stack  # noqa: E402

QUICK = os.environ.get("BENCH_QUICK") == "1"


def setting(name: str, full: int, quick: int) -> int:
    """A size from the environment, else the full run's (or the quick check's) default."""
    return int(os.environ.get(name, str(quick if QUICK else full)))


RPC_CALLS = setting("BENCH_RPC_CALLS", 500, 50)
PIPELINED_CALLS = setting("BENCH_PIPELINED_CALLS", 2000, 200)
TICK_DEADLINES = setting("BENCH_DEADLINES", 1_000_000, 10_000)
ROUTING_CASES = setting("BENCH_ROUTING_CASES", 2000, 200)
#: each pair about 1 s: the host's speed moves between pairs more than within one
ROUTING_PAIRS = setting("BENCH_ROUTING_PAIRS", 7, 2)
SMS_MESSAGES = setting("BENCH_SMS", 400, 30)
STATUS_SECONDS = setting("BENCH_STATUS_SECONDS", 3, 1)
SPOT_SUBMISSIONS = setting("BENCH_SPOT", 60, 10)
GROWTH_MAX = setting("BENCH_GROWTH_MAX", 1_000_000, 10_000)
OUT = ROOT / "var" / "bench-quick" if QUICK else ROOT / "bench"  # a quick check never overwrites the figures
RESULTS, JSON, PLOT = OUT / "RESULTS.md", OUT / "results.json", OUT / "growth.svg"


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    memory_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")), 0)
    return (f"{cpu}, {os.cpu_count()} cores, {memory_kb / 1024 / 1024:.1f} GiB RAM; "
            f"{platform.system()} {platform.release()}; Python {platform.python_version()}")


def host_speed() -> float:
    """Seconds a pure-Python loop of 10^7 additions takes now: this host's speed varies by the hour."""
    started = time.perf_counter()
    total = 0
    for i in range(10**7):
        total += i
    return time.perf_counter() - started


def host_speed_row(at_start: Figure) -> Row:
    """The loop at the start and at the end of the run: figures of two runs compare only at like speeds."""
    at_end = repeat(host_speed, "s")
    return Row("host_speed", "host speed: a pure-Python loop of 10^7 additions, at the end of the run", at_end,
               "the same loop at the start of the run", at_start, higher_is_better=False,
               note="a calibration, not a target: the same code's figures move with it")


def rpc_and_web(rows: list[Row]) -> None:
    """RPC round trips, the status lookup and the on-the-spot fast track, on one SQLite stack with the gateway."""
    with running_stack(e2e.fresh(ROOT / "var" / "bench"), services=(*SERVICES, GATEWAY)) as stack:
        raw = repeat(lambda: rpc.raw_sequential(stack, RPC_CALLS), "calls/s")
        named = repeat(lambda: rpc.nameko_sequential(stack, RPC_CALLS), "calls/s")
        fast = repeat(lambda: rpc.sunlight_sequential(stack, RPC_CALLS), "calls/s")
        raw_piped = repeat(lambda: rpc.raw_pipelined(stack, PIPELINED_CALLS), "calls/s")
        piped = repeat(lambda: rpc.sunlight_pipelined(stack, PIPELINED_CALLS), "calls/s")
        p99, rate, static_p99, static_rate = web.status_lookup(stack, STATUS_SECONDS)
        spot = [percentile(web.on_the_spot(stack, SPOT_SUBMISSIONS, f"spot{n}/"), 99) * 1000 for n in range(REPEATS)]
    for key, what, figure, base, base_what in (
            ("rpc_nameko_sequential", "nameko ClusterRpcClient, sequential", named, raw, "raw pika sequential"),
            ("rpc_sunlight_sequential", "sunlight RpcClient, sequential", fast, raw, "raw pika sequential"),
            ("rpc_sunlight_pipelined", f"sunlight RpcClient.call_async, {rpc.WINDOW} in flight", piped,
             raw_piped, f"raw pika, {rpc.WINDOW} in flight")):
        within = base.median / figure.median
        rows.append(Row(key, what, figure, base_what, base, target="within 3× of raw", met=within <= 3,
                        note=f"{within:.1f}× slower than raw"))
    rows.append(Row("status_p99", f"public status lookup through the gateway, p99 at {web.RATE} requests/s", p99,
                    "static /healthz, same HTTP stack", static_p99, higher_is_better=False,
                    target=f"p99 ≤ 20 ms at {web.RATE} requests/s", met=p99.median <= 20,
                    note=f"{p99.median / 20:.0f}× over" if p99.median > 20 else ""))
    rows.append(Row("status_rate", f"public status lookup, requests/s with {web.WINDOWS} at a time", rate,
                    "static /healthz, same HTTP stack", static_rate, note="each request a new HTTP connection"))
    rows.append(Row("on_the_spot_p99", "on the spot: fast-track submit → certificate, p99 at 10 submissions/s",
                    Figure("ms", spot), higher_is_better=False, target="p99 ≤ 1 s", met=max(spot) <= 1000,
                    note=f"{max(spot) / 1000:.0f}× over; {SPOT_SUBMISSIONS} submissions per repeat"
                    if max(spot) > 1000 else f"{SPOT_SUBMISSIONS} submissions per repeat"))


def sms_rows(rows: list[Row]) -> None:
    found = sms.measure(e2e.fresh(ROOT / "var" / "bench-sms"), SMS_MESSAGES)
    clean = found.lost == 0 and found.duplicated == 0
    rows.append(Row("sms", f"completion SMS through notify to the fake SMSC over SMPP ({sms.WINDOW} in flight)",
                    found.notify, f"notify's SMPP client alone, {sms.WINDOW} in flight", found.client,
                    target="≥ 200 messages/s, none lost or duplicated", met=found.notify.median >= 200 and clean,
                    note=f"{found.lost} lost, {found.duplicated} duplicated at the SMSC; {found.parts_per_message} "
                         f"UCS-2 parts per message; {200 / found.notify.median:.1f}× short"))


def tick_rows(rows: list[Row]) -> None:
    tick, steady, memory, found = tick_bench.redis_tick(TICK_DEADLINES, REPEATS)
    unindexed, steady_scan, indexed, found_sql = tick_bench.sql_scan(TICK_DEADLINES, REPEATS)
    assert found == found_sql, (found, found_sql)
    n = f"{TICK_DEADLINES:,}"
    rows.append(Row("tick_redis_vs_scan", f"supervision tick, {n} open deadlines, steady (what fell due since "
                    "the last tick)", steady, "PostgreSQL scan, no index", steady_scan, higher_is_better=False,
                    target="≤ 50 ms, ≥ 100× the scan",
                    met=steady.median <= 50 and steady_scan.median / steady.median >= 100,
                    note=f"{steady_scan.median / steady.median:.0f}× the unindexed scan"))
    rows.append(Row("tick_catch_up_vs_scan", f"supervision tick, {n} open deadlines, catch-up ({found} of 1 % "
                    "overdue per tick)", tick, "PostgreSQL scan, no index", unindexed, higher_is_better=False,
                    target="≤ 50 ms", met=tick.median <= 50,
                    note=f"{unindexed.median / tick.median:.0f}× the unindexed scan: the answer's size dominates"))
    rows.append(Row("tick_redis_vs_indexed", "supervision tick (Redis) catch-up, against an indexed SQL query", tick,
                    "PostgreSQL, index on due_at", indexed, higher_is_better=False,
                    note="an index does what the sorted set does"))
    rows.append(Row("tick_memory", "Redis memory per open deadline", memory,
                    note="values: MEMORY USAGE of the key / n, then INFO used_memory after−before / n"))


def routing_rows(rows: list[Row]) -> None:
    ours, spiff = Figure("transitions/s"), Figure("transitions/s")
    for _ in range(ROUTING_PAIRS):  # in pairs, back to back: the ratio is the median of the pairs' ratios
        ours.values.append(routing.sunlight_rate(ROUTING_CASES))
        spiff.values.append(routing.spiff_rate(max(ROUTING_CASES // 10, 20)))
    row = Row("routing_core", "workflow engine, shop-sign in process (CPU time)", ours,
              "SpiffWorkflow 3.2.0, same BPMN", spiff, target="≥ 10× SpiffWorkflow", paired=True,
              note=f"ratio: the median of {ROUTING_PAIRS} back-to-back pairs' ratios")
    row.met = (row.ratio or 0) >= 10
    rows.append(row)


def growth_rows(rows: list[Row], notes: list[str]) -> None:
    sizes = [n for n in (10**3, 10**4, 10**5, 10**6) if n <= GROWTH_MAX]
    found = growth.measure(sizes)
    loglog(PLOT, "Cost per query as open cases grow (PostgreSQL; tick on Redis)", sizes, found,
           "open cases", "ms per query (median)")
    for name, values in found.items():
        key = "growth_" + name.split(" (")[0].replace(" ", "_").replace("-", "_")
        rows.append(Row(key, f"{name} at {sizes[-1]:,} open cases", Figure("ms", [values[-1]]),
                        f"at {sizes[0]:,}", Figure("ms", [values[0]]), higher_is_better=False,
                        note=" → ".join(f"{v:.2f}" for v in values) + " ms"))
    notes.append(f"Cost growth, {' / '.join(f'{n:,}' for n in sizes)} open cases (ms per query, median of "
                 f"{growth.QUERIES}): see the rows `growth_*` and the plot [growth.svg](growth.svg).")


def main() -> int:
    missing = missing_brokers(("RabbitMQ", "Redis", "PostgreSQL"))
    if missing:
        print("\n".join(missing), file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    notes: list[str] = []
    speed_at_start = repeat(host_speed, "s")
    rpc_and_web(rows)
    sms_rows(rows)
    tick_rows(rows)
    routing_rows(rows)
    growth_rows(rows, notes)
    e2e.end_to_end("sqlite", rows, notes)
    usage = e2e.end_to_end("postgresql", rows, notes)
    e2e.sustained("sqlite", rows)
    e2e.sustained("postgresql", rows)
    busiest = usage.busiest()
    e2e.replicas(busiest, rows)
    notes.append(scale_paragraph(rows, busiest))
    rows.insert(0, host_speed_row(speed_at_start))
    write(rows, notes)
    return 0


def scale_paragraph(rows: list[Row], busiest: str) -> str:
    """What N machines give, from the CPU each service spent per case in this run (PostgreSQL)."""
    by_key = {row.key: row for row in rows}
    cpu = {s: by_key[f"cpu_per_case_{s}_postgresql"].figure.median for s in SERVICES}
    total = sum(cpu.values())
    scale = by_key[f"scale_{busiest}_2_replicas"]
    raw = by_key["rpc_sunlight_pipelined"].baseline.median if by_key["rpc_sunlight_pipelined"].baseline else 0.0
    shares = ", ".join(f"{s} {ms:.0f}" for s, ms in sorted(cpu.items(), key=lambda kv: -kv[1]))
    return (f"Scale: per shop-sign case the services spent {total:.0f} ms of CPU in all ({shares} ms). "
            f"A core therefore carries at most {1000 / total:.0f} cases/s of the whole pipeline, and one "
            f"{busiest} process at most {1000 / cpu[busiest]:.0f} cases/s. On these 2 cores a second {busiest} "
            f"replica gave {scale.figure.median / scale.baseline.median:.2f}× (the cores were already busy with "
            f"the other services, the broker, the database and the driver). Spread over N machines of c cores, "
            f"with each service replicated so no process is saturated (they share nothing but the broker and "
            f"their own database), throughput grows as N·c·1000/{total:.0f} cases/s until the broker or "
            f"PostgreSQL is the limit; in this run one RabbitMQ node moved {raw:,.0f} raw request/reply round "
            f"trips/s (two messages each) with {rpc.WINDOW} in flight, beside everything else on the 2 cores.")


def write(rows: list[Row], notes: list[str]) -> None:
    when = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    tables.write_json(rows, JSON, machine(), when)
    section = "\n".join([
        f"## {when} — `make bench`{' (BENCH_QUICK: a check of the bench, not figures)' if QUICK else ''}", "",
        f"Machine: {machine()}. Broker: local RabbitMQ; the services as `nameko run` processes. Each figure is "
        f"the median of {REPEATS} repeats in one run, ± half the spread (max − min); the baseline is measured in "
        "the same run. \"Ratio\" is how many times better than the baseline (below 1: worse).", "",
        tables.table(rows), "", *(f"- {note}" for note in notes), "",
        "Where a target is missed — by how much is in the table; why, and what would close it:", "",
        *(f"- {finding}" for finding in FINDINGS), "",
    ])
    print(section)
    header = "# Benchmark results\n\nNewest first. Produced by `make bench` (bench/run.py).\n\n"
    previous = RESULTS.read_text().removeprefix(header) if RESULTS.exists() else ""
    RESULTS.write_text(header + section + "\n" + previous)


if __name__ == "__main__":
    sys.exit(main())
