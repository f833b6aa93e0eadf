"""Supervision tick: find what fell due among N open deadlines — Redis sorted set vs a SQL scan.

The Redis side uses supervision's own ``DueIndex`` (the structure its tick reads, ``TICK_BATCH`` at a
time) on a private key that is deleted afterwards. The baseline is the same deadlines in a
PostgreSQL table of a throwaway database, queried the plain way (``WHERE due_at <= now ORDER BY
due_at LIMIT batch``), without and with an index on ``due_at``.

Two instants are looked at. ``catch-up``: about 1 % of the deadlines (10,000 of a million) are past,
as after an outage, and the tick takes its batch of ``TICK_BATCH``; the answer's size dominates
the sorted set's time. ``steady``: what a tick finds every second in normal running, the deadlines
that fell due since the last tick (none or one here): the regular tick the issue's target is about.
"""

from __future__ import annotations

import io
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import redis

from bench.figures import Figure, repeat
from supervision.dependencies import DueIndex
from supervision.watch import TICK_BATCH
from tools.stack import create_pg_database, drop_pg_database

QUERIES = 20  # ticks timed per repeat; the figure is the median tick of each repeat
DUE_SHARE = 0.01  # about one deadline in a hundred has fallen due when the tick looks
STEADY = 86_400 - 1  # seconds before now: one second after the earliest deadline, the previous tick's instant


def _deadlines(n: int, now: float) -> list[tuple[str, float]]:
    """``n`` case numbers with next-light instants from a day ago to 30 days ahead (about 1 % past)."""
    rng = random.Random(11)  # noqa: S311 - reproducible spread of instants, not secrecy
    past = int(n * DUE_SHARE)
    return [(f"GS-2026-{i:07d}", now - rng.uniform(0, 86_400) if i < past else now + rng.uniform(1, 30 * 86_400))
            for i in range(n)]


def _median_ms(call: Callable[[], Any], times: int = QUERIES) -> float:
    took = []
    for _ in range(times):
        t0 = time.perf_counter()
        call()
        took.append(time.perf_counter() - t0)
    took.sort()
    return took[len(took) // 2] * 1000


def redis_tick(n: int, repeats: int) -> tuple[Figure, Figure, Figure, int]:
    """Catch-up and steady tick times (ms), bytes per open deadline in the sorted set; how many catch-up found."""
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    key = f"bench-{uuid.uuid4().hex[:8]}:supervision:deadlines"
    index = DueIndex(client, key)
    now = time.time()
    try:
        before = int(client.info("memory")["used_memory"])
        index.rebuild((number, datetime.fromtimestamp(at, UTC)) for number, at in _deadlines(n, now))
        after = int(client.info("memory")["used_memory"])
        assert index.size() == n
        found = len(index.due(datetime.fromtimestamp(now, UTC), TICK_BATCH))
        tick = repeat(lambda: _median_ms(lambda: index.due(datetime.fromtimestamp(now, UTC), TICK_BATCH)),
                      "ms", repeats)
        steady_at = datetime.fromtimestamp(now - STEADY, UTC)
        steady = repeat(lambda: _median_ms(lambda: index.due(steady_at, TICK_BATCH)), "ms", repeats)
        usage = int(client.memory_usage(key) or 0)
        memory = Figure("bytes/deadline", [usage / n, (after - before) / n])
        return tick, steady, memory, found
    finally:
        client.delete(key, index.built_key)
        client.close()


def sql_scan(n: int, repeats: int) -> tuple[Figure, Figure, Figure, int]:
    """The same deadlines in PostgreSQL: catch-up tick (ms) unindexed, steady tick unindexed, catch-up indexed."""
    import psycopg2
    import psycopg2.extensions

    # the bench's eventlet patching installs a green wait callback, which COPY refuses; block instead
    psycopg2.extensions.set_wait_callback(None)
    name = f"bench_tick_{uuid.uuid4().hex[:8]}"
    create_pg_database(name)
    try:
        connection = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=name)
        connection.autocommit = True
        cursor = connection.cursor()
        cursor.execute("CREATE TABLE deadlines (case_number text PRIMARY KEY, due_at double precision NOT NULL)")
        now = time.time()
        buffer = io.StringIO("".join(f"{number}\t{at!r}\n" for number, at in _deadlines(n, now)))
        cursor.copy_from(buffer, "deadlines", columns=("case_number", "due_at"))
        cursor.execute("VACUUM ANALYZE deadlines")
        query = "SELECT case_number FROM deadlines WHERE due_at <= %s ORDER BY due_at LIMIT %s"

        def tick(at: float = now) -> None:
            cursor.execute(query, (at, TICK_BATCH))
            cursor.fetchall()

        tick()
        found = cursor.rowcount
        unindexed = repeat(lambda: _median_ms(tick, 5), "ms", repeats)
        steady = repeat(lambda: _median_ms(lambda: tick(now - STEADY), 5), "ms", repeats)
        cursor.execute("CREATE INDEX deadlines_due ON deadlines (due_at)")
        cursor.execute("ANALYZE deadlines")
        indexed = repeat(lambda: _median_ms(tick), "ms", repeats)
        connection.close()
        return unindexed, steady, indexed, found
    finally:
        drop_pg_database(name)
