"""The inbox table on workflow's own migrated schema: what the meeting time box finds, and how it finds it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, insert, text

from sunlight.migrations import upgrade_to_head
from workflow import casestore
from workflow.settings import MIGRATIONS

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)
MEETINGS = ["joint-meeting"]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'workflow.db'}")
    upgrade_to_head(engine, MIGRATIONS)
    yield engine
    engine.dispose()


def task(case: int, stage: str, status: str, due: timedelta) -> dict[str, object]:
    number = f"GT-2026-{case:06d}"
    return {"task_id": f"{number}.{stage}.{status}", "case_number": number, "stage": stage,
            "post": f"gs-city/dept-{case % 3}/reviewer", "status": status, "opened_at": NOW - timedelta(days=3),
            "due_at": NOW + due, "completed_at": None, "urged_until": None}


def test_the_time_box_finds_each_case_with_an_open_meeting_task_past_due_once(engine: Engine) -> None:
    rows = [task(1, "joint-meeting", "open", -timedelta(hours=1)),  # past due: found
            task(1, "joint-meeting", "open", -timedelta(hours=2)) | {"task_id": "second"},  # same case: once
            task(2, "joint-meeting", "open", timedelta(hours=1)),  # still inside its box
            task(3, "joint-meeting", "completed", -timedelta(hours=1)),  # answered in time
            task(4, "co-review", "open", -timedelta(hours=1)),  # overdue, but not a meeting
            task(5, "joint-meeting", "open", timedelta(0))]  # due this instant: the box has run out
    with engine.begin() as connection:
        connection.execute(insert(casestore.TASKS), rows)
    with engine.connect() as connection:
        assert casestore.meetings_past_due(connection, MEETINGS, NOW) == ["GT-2026-000001", "GT-2026-000005"]
        assert casestore.meetings_past_due(connection, [], NOW) == []


@pytest.mark.parametrize(("query", "index"), [
    ("SELECT DISTINCT case_number FROM tasks WHERE status = 'open' AND stage IN ('joint-meeting') "
     "AND due_at <= '2026-11-30 09:00:00'", "ix_tasks_open_stage_due"),
    ("SELECT * FROM tasks WHERE post = 'gs-city/dept-1/reviewer' AND status = 'open' "
     "AND (due_at, task_id) > ('2026-11-30 09:00:00', 'GT-2026-000001.x') ORDER BY due_at, task_id LIMIT 100",
     "ix_tasks_open_inbox"),
])
def test_the_time_box_and_the_inbox_read_the_open_tasks_index_not_every_task(
        engine: Engine, query: str, index: str) -> None:
    """With 10^6 open cases the scan took 383 ms every 30 s, and the inbox sorted a post's share each call."""
    with engine.connect() as connection:
        plan = " ".join(str(row[-1]) for row in connection.execute(text(f"EXPLAIN QUERY PLAN {query}")))
    assert index in plan and "ORDER BY" not in plan  # no sort: the index gives the order


def test_the_open_cases_are_counted_per_tenant_on_their_index_alone(engine: Engine) -> None:
    """At 10^6 open cases the count read every open row with its saved state: 230–260 ms every 15 s."""
    state = {"case_number": "x"}
    rows = [{"case_number": f"GT-2026-{i:06d}", "tenant": f"t{i % 3}", "item_code": "GS-CG-0202",
             "status": "approved" if i in (0, 3, 4) else "open", "definition_key": "shop-sign-approval",
             "definition_version": 1, "state": state, "opened_at": NOW} for i in range(12)]
    with engine.begin() as connection:
        connection.execute(insert(casestore.CASES), rows)
    with engine.connect() as connection:
        assert casestore.open_cases_per_tenant(connection) == {"t0": 2, "t1": 3, "t2": 4}
        # the statement as the service sends it, its status a bound parameter
        statement = casestore.OPEN_PER_TENANT.compile(connection)
        plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {statement}", tuple(statement.params.values())))
    assert "COVERING INDEX ix_cases_open_tenant" in plan, plan
