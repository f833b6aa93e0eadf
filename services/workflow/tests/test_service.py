"""Workflow's entrypoints with nameko's worker_factory on a real database (SQLite and PostgreSQL).

A shop sign is accepted at intake and routed: the four departments' inboxes, the leader's after the
last approval, the case's saved state and the events left in the outbox (``make_store`` holds them).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from casekit import accepted_message
from nameko.testing.services import worker_factory
from sqlalchemy import text

from sunlight.db import Store
from sunlight.errors import Conflict, NotFound, ValidationFailed
from workflow.models import metadata
from workflow.service import WorkflowService
from workflow.settings import MIGRATIONS

NUMBER = "GS-2026-000042"
DEPARTMENTS = ["gs-city/cityscape-section/reviewer", "gs-city/commerce-bureau/reviewer",
               "gs-city/planning-bureau/reviewer", "gs-city/traffic-police/reviewer"]


@pytest.fixture
def store(make_store: Any) -> Store:
    return make_store(metadata, MIGRATIONS, "workflow")


@pytest.fixture
def workflow(store: Store) -> Any:
    service = worker_factory(WorkflowService, db=store)
    service.on_application_accepted(accepted_message(NUMBER))
    return service


def rows(store: Store, sql: str) -> list[Any]:
    with store.engine.connect() as connection:
        return list(connection.execute(text(sql)).all())


def approve(workflow: Any, task: dict[str, Any], actor: str = "审查员") -> dict[str, Any]:
    return dict(workflow.complete_task({"task_id": task["task_id"], "post": task["post"], "actor": actor,
                                        "decision": "approve", "opinion": "同意"}))


def inbox(workflow: Any, post: str) -> list[dict[str, Any]]:
    return list(workflow.list_tasks(post))


def test_a_shop_sign_reaches_the_leader_after_the_last_of_four_departments_approves(
        workflow: Any, store: Store) -> None:
    departments = [task for post in DEPARTMENTS for task in inbox(workflow, post)]
    assert sorted(t["post"] for t in departments) == DEPARTMENTS
    for task in departments[:3]:
        assert approve(workflow, task)["stage"] == "co-review"
        assert inbox(workflow, task["post"]) == []
    assert not [t for t in workflow.get_case(NUMBER)["tasks"] if t["stage"] == "approve"]

    summary = approve(workflow, departments[3])
    leader = [t for t in workflow.get_case(NUMBER)["tasks"] if t["status"] == "open"]
    assert [t["stage"] for t in leader] == ["approve"] and summary["open_tasks"] == [leader[0]["task_id"]]
    assert leader[0]["post"] == "gs-city/leadership/leader"
    assert [t["task_id"] for t in inbox(workflow, "gs-city/leadership/leader")] == summary["open_tasks"]

    assert approve(workflow, leader[0], actor="领导")["status"] == "approved"
    case = workflow.get_case(NUMBER)
    assert case["status"] == "approved" and case["closed_at"]
    assert rows(store, "SELECT status FROM cases") == [("approved",)]
    assert {r.status for r in rows(store, "SELECT status FROM tasks")} == {"completed"}
    assert inbox(workflow, leader[0]["post"]) == []
    events = [json.loads(r.body)["event_type"] for r in rows(store, "SELECT body FROM outbox ORDER BY id")]
    assert events[0] == "case.opened" and events[-1] == "case.approved"
    assert events.count("task.created") == 5 and events.count("task.completed") == 5


def test_a_task_completed_twice_is_refused_and_changes_nothing(workflow: Any, store: Store) -> None:
    task = inbox(workflow, DEPARTMENTS[0])[0]
    approve(workflow, task)
    before = (rows(store, "SELECT status, completed_at FROM tasks ORDER BY task_id"),
              workflow.get_case(NUMBER), len(rows(store, "SELECT id FROM outbox")))
    with pytest.raises(Conflict):
        approve(workflow, task)
    after = (rows(store, "SELECT status, completed_at FROM tasks ORDER BY task_id"),
             workflow.get_case(NUMBER), len(rows(store, "SELECT id FROM outbox")))
    assert after == before


def test_an_unknown_task_or_case_is_not_found(workflow: Any) -> None:
    with pytest.raises(NotFound):
        approve(workflow, {"task_id": "GS-2026-000042/nowhere/1", "post": DEPARTMENTS[0]})
    with pytest.raises(NotFound):
        workflow.get_case("GS-2026-999999")


def test_an_acceptance_delivered_twice_opens_the_case_once(store: Store) -> None:
    service = worker_factory(WorkflowService, db=store)
    message = accepted_message(NUMBER)
    service.on_application_accepted(message)
    service.on_application_accepted(message)
    assert len(rows(store, "SELECT case_number FROM cases")) == 1
    assert len(rows(store, "SELECT task_id FROM tasks")) == 4


def test_an_inbox_is_paged_in_deadline_order_and_a_task_done_meanwhile_does_not_shift_the_next_page(
        workflow: Any) -> None:
    """Cases accepted the same day share a deadline: the order is settled by the task id, so pages neither
    repeat nor skip a task, even when one on an earlier page is completed between two pages."""
    post = "gs-city/commerce-bureau/reviewer"
    for n in range(43, 49):
        workflow.on_application_accepted(accepted_message(f"GS-2026-0000{n}"))
    everything = workflow.list_tasks(post)
    assert len(everything) == 7 and len({t["due_at"] for t in everything}) == 1
    first = workflow.list_tasks(post, limit=3)
    assert first == everything[:3]
    approve(workflow, first[0])  # done between two pages
    second = workflow.list_tasks(post, limit=3, after=first[-1]["task_id"])
    last = workflow.list_tasks(post, limit=3, after=second[-1]["task_id"])
    assert second + last == everything[3:] and len(last) == 1  # a short page is the last


@pytest.mark.parametrize(("limit", "after", "field"), [(0, None, "limit"), (501, None, "limit"), ("3", None, "limit"),
                                                       (3, "GS-2026-999999.co-review.1", "after")])
def test_a_bad_inbox_page_is_refused_naming_what_is_wrong(workflow: Any, limit: Any, after: Any, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        workflow.list_tasks("gs-city/commerce-bureau/reviewer", limit=limit, after=after)
    assert set(refused.value.fields) == {field}
