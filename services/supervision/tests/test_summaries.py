"""Statistics from the per-case and per-stage summaries (real SQLite/PostgreSQL), and their rebuild from the log.

The Spring Festival case of ``test_clocks`` and a complaint (信访) answered late are fed as supervision's
handler feeds them: each event appended to the audit log and its case reconciled, in the same transaction.
Statistics then read the summary tables; wiping those and rebuilding them from the audit log gives the same
figures. Events that arrive before their case are kept and placed; a duplicate changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from siblings import sibling
from sqlalchemy import delete, func, select

from sunlight.db import Store
from supervision import audit_log, summaries, watch
from supervision.domain import statistics
from supervision.domain.clocks import COMPLAINT, HANDLING
from supervision.models import CaseClockRow, LightRow, StageClockRow, metadata
from supervision.settings import MIGRATIONS, thresholds_config

story = sibling("test_clocks")
complaint = sibling("test_complaint_lights")
at, CASE, REVIEW = story.at, story.CASE, story.REVIEW
RULES = watch.Rules(story.CAL, thresholds_config())
SOURCES = {"application.accepted": "intake", "complaint.filed": "supervision", "complaint.resolved": "supervision"}
COMPLAINT_EVENTS = [complaint.filed_event(at(2, 13, 10), complaint.FILED.deadline),
                    complaint.resolved_event(at(2, 26, 10))]  # answered a day late


@pytest.fixture
def store(make_store: Callable[..., Store]) -> Store:
    return make_store(metadata, MIGRATIONS, "supervision")


def feed(store: Store, events: list[dict[str, Any]]) -> None:
    """Each event as the handler takes it: appended, then its case reconciled at the time it happened."""
    for body in events:
        full = {**body, "source": SOURCES.get(body["event_type"], "workflow"), "schema_version": 1,
                "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f'{body["case_number"]}/{body["event_id"]}'))}
        with store.unit_of_work() as uow:
            if not uow.first_delivery(full["event_id"], "supervision.record_event"):
                continue
            audit_log.append_event(uow.session, full)
            watch.reconcile(uow, body["case_number"], datetime.fromisoformat(body["occurred_at"]), RULES)


def figures(store: Store) -> list[dict[str, object]]:
    with store.read() as session:
        lit = [statistics.LightFact(r.case_number, r.post, r.level, r.raised_at) for r in session.scalars(
            select(LightRow))]
        return statistics.compute(summaries.load(session), lit, [], story.CAL)


def by_key(rows: list[dict[str, object]]) -> dict[tuple[object, object, object], dict[str, object]]:
    return {(r["kind"], r["dimension"], r["key"]): r for r in rows}


def test_a_complaint_answered_late_counts_apart_from_cases_per_department_and_tenant(store: Store) -> None:
    feed(store, story.STORY + COMPLAINT_EVENTS)
    found = by_key(figures(store))
    office = found[(COMPLAINT, "department", "petition-office")]
    # Fri 13 Feb 10:00 → Thu 26 Feb 10:00: 6 h + Sat 14 (7.5) + Tue 24, Wed 25 (15) + 1.5 h = 30 working hours
    assert office["cases_handled"] == 1
    assert office["stages"] == {"complaint-handling": {"count": 1, "average_hours": 30.0, "p90_hours": 30.0}}
    assert office["on_time_rate"] == 0.0 and office["lights"] == {"prompt": 1, "yellow": 1, "red": 0}
    tenant = found[(COMPLAINT, "tenant", "gs-city")]
    assert tenant["cases_handled"] == 1 and tenant["on_time_rate"] == 0.0
    # the case's figures are untouched by the complaint: hz-land has no complaint row, gs-city no case row
    assert ("case", "tenant", "hz-land") in found and ("case", "tenant", "gs-city") not in found
    assert (COMPLAINT, "tenant", "hz-land") not in found
    csv_kinds = {line.split(",")[-1] for line in statistics.to_csv(figures(store)).splitlines()[1:]}
    assert csv_kinds == {"办件", "信访"}


def test_statistics_are_the_same_after_the_summaries_are_rebuilt_from_the_audit_log(store: Store) -> None:
    feed(store, story.STORY + COMPLAINT_EVENTS)
    before = figures(store)
    with store.unit_of_work() as uow:
        uow.session.execute(delete(StageClockRow))
        uow.session.execute(delete(CaseClockRow))
    assert figures(store) == []
    with store.unit_of_work() as uow:
        rebuilt = summaries.rebuild(uow.session, story.CAL, at(3, 23, 9))
    assert sorted(number for number, _ in rebuilt) == sorted([CASE, complaint.NUMBER])
    assert figures(store) == before


def summary_rows(store: Store) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every stored summary value but the time it was written."""
    cases, stages = CaseClockRow.__table__, StageClockRow.__table__
    with store.read() as session:
        return ([tuple(row) for row in session.execute(
                    select(*[c for c in cases.c if c.name != "updated_at"]).order_by(cases.c.case_number))],
                [tuple(row) for row in session.execute(
                    select(stages).order_by(stages.c.case_number, stages.c.task_id))])


def test_summaries_written_event_by_event_hold_what_one_pass_over_the_whole_log_writes(store: Store) -> None:
    # each event rewrites only the stage rows it changed: what is stored must still be the whole clock
    feed(store, story.STORY + COMPLAINT_EVENTS)
    incremental = summary_rows(store)
    assert len(incremental[1]) >= 3  # the case's stages and the complaint's handling
    with store.unit_of_work() as uow:
        uow.session.execute(delete(StageClockRow))
        summaries.rebuild(uow.session, story.CAL, at(3, 23, 9))
    assert summary_rows(store) == incremental


def test_the_rebuild_command_reconciles_a_database_whose_summaries_were_lost(
        store: Store, db_uri: str, capsys: pytest.CaptureFixture[str]) -> None:
    feed(store, story.STORY + COMPLAINT_EVENTS)
    before = figures(store)
    with store.unit_of_work() as uow:
        uow.session.execute(delete(StageClockRow))
    assert summaries.main(["--db-uri", db_uri]) == 0
    assert "2 case(s) and complaint(s)" in capsys.readouterr().out
    assert figures(store) == before


def test_events_before_their_case_are_kept_and_a_duplicate_changes_nothing(store: Store) -> None:
    completion, creation = story.STORY[5], story.STORY[2]
    feed(store, [completion])  # the review's completion, before anything else of the case
    with store.read() as session:
        assert session.get(CaseClockRow, CASE).state == "pending"  # type: ignore[union-attr]
        assert session.scalar(select(func.count()).select_from(StageClockRow)) == 0
    feed(store, story.STORY)  # the rest arrives; the completion is delivered a second time too
    with store.read() as session:
        review = session.get(StageClockRow, (CASE, REVIEW))
        assert review is not None and review.completed_at == at(2, 27, 10)
        assert session.scalar(select(func.count()).select_from(StageClockRow)) == 2
    once = figures(store)
    feed(store, [creation, completion, *COMPLAINT_EVENTS[:1]])
    feed(store, COMPLAINT_EVENTS[:1])
    assert by_key(figures(store))[("case", "post", "hz-land/use-division/reviewer")] == by_key(once)[
        ("case", "post", "hz-land/use-division/reviewer")]
    with store.read() as session:
        assert session.get(StageClockRow, (complaint.NUMBER, HANDLING)) is not None
