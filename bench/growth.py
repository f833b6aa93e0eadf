"""How each cost grows as open cases grow from 10^3 to 10^6, on workflow's own PostgreSQL schema.

A throwaway database is migrated with workflow's own Alembic chain, then filled (COPY) with open
shop-sign cases at the co-review: each case row carries a real saved state, and four open tasks in
four departments of one of ``TENANTS`` tenants (so a post's inbox holds about 1/``TENANTS`` of the
open cases). After each fill the tables are vacuumed and analysed, as autovacuum leaves them after a bulk
load. At each size, the median of ``QUERIES`` runs of the very queries the services issue:

- status lookup: workflow's ``get_case`` (the case row by its number);
- inbox: ``list_tasks`` of one post, the first page the staff inbox shows (its 100 open tasks with the
  nearest deadlines);
- statistics: ``count_open_cases`` (open cases per tenant, every 15 s);
- meeting time box: ``close_expired_meetings`` (open meeting tasks past due, every timer tick);
- supervision tick: ``DueIndex.due`` on a Redis sorted set with as many open deadlines.
"""

from __future__ import annotations

import io
import json
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from sqlalchemy import create_engine
from sqlalchemy.dialects import postgresql

from bench.routing import accepted
from sunlight.calendar import WorkingCalendar
from sunlight.migrations import upgrade_to_head
from supervision.dependencies import DueIndex
from supervision.watch import TICK_BATCH
from tools.stack import create_pg_database, drop_pg_database
from workflow import casestore, domain, saved
from workflow.definitions import latest, load_definitions
from workflow.settings import MIGRATIONS

TENANTS = 250
QUERIES = 20
DEPARTMENTS = ("cityscape-section", "commerce-bureau", "traffic-police", "planning-bureau")
MEETING_STAGES = sorted({st.key for d in load_definitions().values() for st in d.stages if st.kind == "meeting"})
STAMP = "%Y-%m-%d %H:%M:%S"
MEASURES = ("status lookup", "inbox of one post", "statistics (open per tenant)", "meeting time-box scan",
            "supervision tick (Redis)")
#: count_open_cases's own statement, as psycopg2 sends it (its status bound client-side: the partial index's
#: predicate matches the literal)
OPEN_PER_TENANT_SQL = str(casestore.OPEN_PER_TENANT.compile(dialect=postgresql.dialect(),
                                                            compile_kwargs={"literal_binds": True}))


def _median_ms(call: Callable[[], Any]) -> float:
    took = []
    for _ in range(QUERIES):
        t0 = time.perf_counter()
        call()
        took.append(time.perf_counter() - t0)
    return sorted(took)[len(took) // 2] * 1000


def _rows(first: int, last: int, opened: datetime) -> tuple[str, str]:
    """COPY text for cases ``first``..``last - 1`` and their four open tasks each."""
    definition = latest(load_definitions(), "shop-sign-approval")
    template = saved.to_state(domain.open_case(definition, accepted(0), opened, WorkingCalendar.default()).case)
    state = json.dumps(template, ensure_ascii=False).replace("\\", "\\\\")
    rng = random.Random(first)  # noqa: S311 - a reproducible spread of deadlines, not secrecy
    cases, tasks = io.StringIO(), io.StringIO()
    for i in range(first, last):
        number, tenant = f"GS-2026-{i:07d}", f"t{i % TENANTS:03d}"
        cases.write(f"{number}\t{tenant}\tGS-CG-0202\topen\tshop-sign-approval\t1\t{state}\t"
                    f"{opened:{STAMP}}\t\\N\n")
        due = opened + timedelta(hours=rng.uniform(-24, 24 * 30))
        for k, department in enumerate(DEPARTMENTS):
            tasks.write(f"{number}.co-review.{department}.{k + 1}\t{number}\tco-review\t"
                        f"{tenant}/{department}/reviewer\topen\t{opened:{STAMP}}\t{due:{STAMP}}\t\\N\t\\N\n")
    return cases.getvalue(), tasks.getvalue()


def measure(sizes: list[int]) -> dict[str, list[float]]:
    """Milliseconds per measure at each size (one list per name in MEASURES, in the order of ``sizes``)."""
    import psycopg2
    import psycopg2.extensions

    psycopg2.extensions.set_wait_callback(None)  # COPY refuses the green wait callback
    name = f"bench_growth_{uuid.uuid4().hex[:8]}"
    uri = create_pg_database(name)
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    index = DueIndex(client, f"bench-{uuid.uuid4().hex[:8]}:supervision:deadlines")
    results: dict[str, list[float]] = {m: [] for m in MEASURES}
    try:
        engine = create_engine(uri)
        upgrade_to_head(engine, MIGRATIONS)
        engine.dispose()
        connection = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=name)
        connection.autocommit = True
        cursor = connection.cursor()
        opened = datetime.now(UTC).replace(microsecond=0)
        have = 0
        for size in sizes:
            for start in range(have, size, 100_000):
                cases, tasks = _rows(start, min(size, start + 100_000), opened)
                cursor.copy_from(io.StringIO(cases), "cases")
                cursor.copy_from(io.StringIO(tasks), "tasks")
            for start in range(have, size, 10_000):  # about 1 % fell due a few hours ago, the rest within 30 days
                client.zadd(index.key, {f"GS-2026-{i:07d}": (opened + timedelta(hours=(i % 720) - 7)).timestamp()
                                        for i in range(start, min(size, start + 10_000))})
            have = size
            cursor.execute("VACUUM ANALYZE cases")  # as autovacuum leaves a table after a bulk load: index-only
            cursor.execute("VACUUM ANALYZE tasks")  # scans need its visibility map
            probe = f"GS-2026-{size // 2:07d}"
            queries = {
                "status lookup": ("SELECT state FROM cases WHERE case_number = %s", (probe,)),
                "inbox of one post": ("SELECT * FROM tasks WHERE post = %s AND status = 'open' "
                                      "ORDER BY due_at, task_id LIMIT 100", (f"t007/{DEPARTMENTS[0]}/reviewer",)),
                "statistics (open per tenant)": (OPEN_PER_TENANT_SQL, ()),
                "meeting time-box scan": ("SELECT DISTINCT case_number FROM tasks WHERE status = 'open' "
                                          "AND due_at <= %s AND stage = ANY(%s)", (opened, MEETING_STAGES)),
            }
            for measure_name, (sql, args) in queries.items():
                def run(sql: str = sql, args: tuple[Any, ...] = args) -> None:
                    cursor.execute(sql, args)
                    cursor.fetchall()

                results[measure_name].append(_median_ms(run))
            results["supervision tick (Redis)"].append(_median_ms(lambda: index.due(opened, TICK_BATCH)))
        connection.close()
        return results
    finally:
        client.delete(index.key, index.built_key)
        client.close()
        drop_pg_database(name)
