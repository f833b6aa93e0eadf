"""Violations raised and withdrawn in the database (real SQLite and PostgreSQL), as the event handler does it.

Each event is appended to the audit log and the case's violations judged again in the same transaction.
A skipped stage seen because the approval overtook a co-review completion is withdrawn when that completion
arrives: its row stays (with when and what disproved it), a ``violation.withdrawn`` is published, the public
list leaves it out. A violation withdrawn and then shown again by a later record is raised again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from sunlight.calendar import SHANGHAI
from sunlight.db import Store
from supervision import audit_log, watch
from supervision.models import AuditRecord, ViolationRow, metadata
from supervision.settings import MIGRATIONS

CASE = "GS-2026-000042"
START = datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)
FIRE, PARKS = "gs-city/fire-brigade/reviewer", "gs-city/parks-bureau/reviewer"
LEADER, BACKUP = "gs-city/approval-section/leader", "gs-city/approval-section/reviewer-b"
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture
def store(make_store: Callable[..., Store]) -> Store:
    return make_store(metadata, MIGRATIONS, "supervision")


def event(minute: int, event_type: str, **payload: Any) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "event_type": event_type, "schema_version": 1, "source": "workflow",
            "occurred_at": (START + timedelta(minutes=minute)).isoformat(), "case_number": CASE, "payload": payload}


def created(minute: int, task: str, post: str) -> dict[str, Any]:
    return event(minute, "task.created", task_id=task, stage=task, post=post, due_at=NOW.isoformat())


def completed(minute: int, task: str, post: str) -> dict[str, Any]:
    return event(minute, "task.completed", task_id=task, stage=task, post=post, actor="u1", decision="approve")


def deliver(store: Store, *bodies: dict[str, Any]) -> None:
    """Each event as supervision's handler takes it, in the order given (the order of arrival)."""
    for body in bodies:
        with store.unit_of_work() as uow:
            audit_log.append_event(uow.session, body)
            watch.raise_violations(uow, CASE, NOW)


def views(store: Store) -> list[dict[str, Any]]:
    with store.read() as session:
        return [watch.violation_view(row) for row in session.scalars(select(ViolationRow).order_by(ViolationRow.id))]


def published(store: Store) -> list[tuple[str, str, list[int]]]:
    with store.read() as session:
        bodies = [json.loads(b) for b in session.execute(select(metadata.tables["outbox"].c.body)).scalars()]
    return [(b["event_type"], b["payload"]["target"], b["payload"]["evidence"]) for b in bodies]


def seq_of(store: Store, body: dict[str, Any]) -> int:
    """The audit log seq number the event got when it arrived."""
    with store.read() as session:
        return int(session.scalars(select(AuditRecord.seq).where(AuditRecord.event_id == body["event_id"])).one())


def test_an_approval_overtaking_a_co_review_completion_is_withdrawn_when_the_completion_arrives(store: Store) -> None:
    late = completed(8, "parks", PARKS)
    deliver(store, created(1, "fire", FIRE), created(2, "parks", PARKS), completed(3, "fire", FIRE),
            created(5, "approve", LEADER), completed(6, "approve", LEADER), event(10, "case.approved"))
    [raised] = views(store)
    assert (raised["kind"], raised["target"], raised["withdrawn"]) == ("skipped-stage", "parks", False)

    deliver(store, late)
    [withdrawn] = views(store)
    assert (withdrawn["kind"], withdrawn["target"], withdrawn["withdrawn"]) == ("skipped-stage", "parks", True)
    assert datetime.fromisoformat(withdrawn["withdrawn_at"]) == NOW
    # the evidence of the withdrawal is the late completion's audit record; the raising's evidence is kept
    assert withdrawn["withdrawal_evidence"] == [seq_of(store, late)]
    assert withdrawn["evidence"] == raised["evidence"]
    assert published(store) == [("violation.raised", "parks", raised["evidence"]),
                                ("violation.withdrawn", "parks", [seq_of(store, late)])]
    # both stay in the audit trail: the accusation and its withdrawal
    with store.read() as session:
        types = [e["event_type"] for e in audit_log.case_events(session, CASE)]
    assert types[-3:] == ["violation.raised", "task.completed", "violation.withdrawn"]


def test_a_violation_withdrawn_then_shown_again_by_a_later_record_is_raised_again(store: Store) -> None:
    deliver(store, created(1, "review", LEADER), completed(30, "review", BACKUP))
    # the delegation to the backup post (at 10) arrives late: not a violation after all
    deliver(store, event(10, "task.delegated", task_id="review", stage="review", from_post=LEADER, to_post=BACKUP,
                         actor="u0"))
    assert [(v["kind"], v["withdrawn"]) for v in views(store)] == [("unassigned-post", True)]
    # then a transfer away from the backup (at 20, before the decision at 30) arrives: a violation again
    deliver(store, event(20, "task.transferred", task_id="review", stage="review", from_post=BACKUP, to_post=FIRE,
                         actor="u0"))
    assert [(v["kind"], v["target"], v["withdrawn"]) for v in views(store)] == [
        ("unassigned-post", "review", True), ("unassigned-post", "review", False)]
    assert [t for t, _, _ in published(store)] == ["violation.raised", "violation.withdrawn", "violation.raised"]
    # judging the same records again changes nothing
    deliver(store, event(40, "deadline.yellow", target="case", tenant="gs-city", item_code="x", due_at=NOW.isoformat()))
    assert len(views(store)) == 2 and len(published(store)) == 3
