"""``make bench-recording``: supervision's recording path alone, on SQLite and on PostgreSQL.

Supervision audits every event (16 per shop-sign case) and is the busiest service of a case. This bench
runs shop-sign cases through the services once (SQLite) to get a real trail, then records the same
events again, in their order and in batches of ``BATCH`` as the service takes them, into fresh databases
of each backend, in this process: the CPU and wall time per case of ``recording.record`` and its commits,
without the broker, the nameko workers or Redis. For checking a change to the recording path before and
after; the host's speed moves, so alternate the two versions and compare medians. Prints; writes nothing.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from sqlalchemy import create_engine, text  # noqa: E402

from bench import cases  # noqa: E402
from bench.e2e import fresh  # noqa: E402
from sunlight.contracts import Event  # noqa: E402
from sunlight.db import Store, make_engine  # noqa: E402
from sunlight.migrations import upgrade_to_head  # noqa: E402
from sunlight.outbox import OutboxRelay  # noqa: E402
from supervision import recording, settings  # noqa: E402
from supervision.models import metadata  # noqa: E402
from supervision.settings import MIGRATIONS  # noqa: E402
from tools.stack import ROOT, create_pg_database, drop_pg_database, running_stack  # noqa: E402

CASES = int(os.environ.get("BENCH_RECORDING_CASES", "120"))
BATCH = int(os.environ.get("BENCH_RECORDING_BATCH", "10"))
REPEATS = int(os.environ.get("BENCH_RECORDING_REPEATS", "5"))
EVENTS_PER_CASE = 16  # what a shop-sign case gives supervision (make bench-e2e counts them)


def real_trail() -> list[dict[str, Any]]:
    """The events supervision recorded for ``CASES`` shop-sign cases, in recording order.

    With ``BENCH_RECORDING_TRAIL`` set, read from that file when it exists and written to it otherwise: two
    versions of the code can then record the same events, and run side by side (one core each), so that the
    host's changes of speed touch both alike.
    """
    kept = Path(os.environ["BENCH_RECORDING_TRAIL"]) if os.environ.get("BENCH_RECORDING_TRAIL") else None
    if kept is not None and kept.exists():
        bodies: list[dict[str, Any]] = json.loads(kept.read_text())
        return bodies
    with running_stack(fresh(ROOT / "var" / "bench-recording"), backend="sqlite") as stack:
        cases.run(stack, CASES, 8)
        engine = create_engine(stack.db_uris["supervision"])
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT body FROM audit_log ORDER BY seq"))
            bodies = [json.loads(body) for (body,) in rows]
        engine.dispose()
    if kept is not None:
        kept.write_text(json.dumps(bodies, ensure_ascii=False))
    return bodies


def record_all(uri: str, bodies: Sequence[dict[str, Any]]) -> tuple[float, float]:
    """CPU and wall ms per case to record ``bodies`` into the empty database at ``uri``; the first third warms up."""
    engine = make_engine(uri, pool_size=2)
    upgrade_to_head(engine, MIGRATIONS)
    tables = (metadata.tables["outbox"], metadata.tables["processed_events"])
    relay = OutboxRelay(engine, tables[0], "supervision", "amqp://guest:guest@127.0.0.1:5672/")
    store = Store(engine, relay, tables, "supervision")
    batches = [bodies[i:i + BATCH] for i in range(0, len(bodies), BATCH)]
    warm = len(batches) // 3
    measured = sum(len(batch) for batch in batches[warm:])
    try:
        for number, batch in enumerate(batches):
            if number == warm:
                cpu, wall = time.process_time(), time.perf_counter()
            with store.unit_of_work() as uow:
                recording.record(uow, [recording.Received(Event.from_message(body), body) for body in batch],
                                 settings.now(), settings.rules())
        per_case = EVENTS_PER_CASE / measured * 1000
        return (time.process_time() - cpu) * per_case, (time.perf_counter() - wall) * per_case
    finally:
        relay.close()
        engine.dispose()


def main() -> None:
    bodies = real_trail()
    print(f"{len(bodies)} events of {CASES} cases, recorded in batches of {BATCH}; "
          f"ms per case of {EVENTS_PER_CASE} events, {REPEATS} runs each (median, min-max)")
    for backend in ("sqlite", "postgresql"):
        cpu_ms, wall_ms = [], []
        for repeat in range(REPEATS):
            if backend == "sqlite":
                path = fresh(ROOT / "var" / f"bench-recording-replay-{os.getpid()}")
                path.mkdir(parents=True)
                cpu, wall = record_all(f"sqlite:///{path / 'supervision.db'}", bodies)
            else:
                name = f"sunlight_bench_recording_{os.getpid()}_{repeat}"
                try:
                    cpu, wall = record_all(create_pg_database(name), bodies)
                finally:
                    drop_pg_database(name)
            cpu_ms.append(cpu)
            wall_ms.append(wall)
        print(f"{backend}: CPU {statistics.median(cpu_ms):.1f} ms ({min(cpu_ms):.1f}-{max(cpu_ms):.1f}), "
              f"wall {statistics.median(wall_ms):.1f} ms ({min(wall_ms):.1f}-{max(wall_ms):.1f})")


if __name__ == "__main__":
    main()
