"""Workflow against real service processes: four departments in parallel, the last two at the same
instant (exactly one join), a return for correction resumed by intake's event, and a post's inbox."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from sunlight.contracts import APPLICATION_ACCEPTED, APPLICATION_CORRECTED, CASE_URGED, new_event
from tests.integration.support import publish_raw, query
from tools.drive import wait_for
from tools.stack import Stack

pytestmark = pytest.mark.integration
NUMBERS = itertools.count(1)


def open_shop_sign(stack: Stack, rpc: Any) -> dict[str, Any]:
    """A shop-sign application accepted at the window, as intake announces it."""
    number = f"GS-2026-95{next(NUMBERS):04d}"
    event = new_event(APPLICATION_ACCEPTED, number, {
        "application_number": number, "item_code": "GS-CG-0201", "item_name": "户外招牌设置审批",
        "tenant": "gs-city", "process": "shop-sign-approval",
        "applicant": {"name": "张伟", "mobile": "13805710001"}, "accepted_at": datetime.now(UTC),
        "promised_date": date(2027, 1, 8), "certificate_kind": "permit"}, datetime.now(UTC))
    publish_raw(stack, "intake", APPLICATION_ACCEPTED, event.to_message())
    return wait_for(lambda: (lambda c: c if len(c["tasks"]) == 4 else None)(rpc.workflow.get_case(number)),
                    timeout=20, what=f"the four co-review tasks of {number}")


def approve(client: Any, task: dict[str, Any]) -> dict[str, Any]:
    return client.workflow.complete_task({"task_id": task["task_id"], "post": task["post"], "actor": "审查员",
                                          "decision": "approve", "opinion": "同意"})


def test_the_last_two_departments_approving_at_the_same_instant_open_exactly_one_leader_task(
        stack: Stack, rpc: Any) -> None:
    case = open_shop_sign(stack, rpc)
    first, second, *last_two = case["tasks"]
    approve(rpc, first)
    approve(rpc, second)
    start, results = threading.Barrier(2), []

    def reviewer(task: dict[str, Any]) -> None:
        with stack.rpc_client(timeout=30) as client:
            start.wait()
            results.append(approve(client, task))

    threads = [threading.Thread(target=reviewer, args=(task,)) for task in last_two]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == 2
    number = case["case_number"]
    leader_tasks = query(stack, "workflow", "SELECT post FROM tasks WHERE case_number = :n AND stage = 'approve'",
                         n=number)
    assert [row.post for row in leader_tasks] == ["gs-city/leadership/leader"]
    created = query(stack, "workflow", "SELECT count(*) FROM outbox WHERE body LIKE :n AND "
                    "event_type = 'task.created'", n=f'%"case_number": "{number}"%')
    assert created[0][0] == 5  # four departments and one leader, never a second join


def test_a_case_returned_for_correction_resumes_at_its_stage_when_intake_reports_the_correction(
        stack: Stack, rpc: Any) -> None:
    case = open_shop_sign(stack, rpc)
    task = case["tasks"][0]
    returned = rpc.workflow.return_for_correction({"task_id": task["task_id"], "post": task["post"],
                                                   "actor": "王芳", "missing": ["design-drawing"],
                                                   "reason": "效果图缺尺寸"})
    assert returned["status"] == "returned"
    corrected = new_event(APPLICATION_CORRECTED, case["case_number"], {
        "application_number": case["case_number"], "item_code": "GS-CG-0201", "tenant": "gs-city",
        "applicant": {"name": "张伟", "mobile": "13805710001"}, "materials": ["design-drawing"],
        "corrected_at": datetime.now(UTC)}, datetime.now(UTC))
    publish_raw(stack, "intake", APPLICATION_CORRECTED, corrected.to_message())
    resumed = wait_for(lambda: (lambda c: c if c["status"] == "open" else None)(
        rpc.workflow.get_case(case["case_number"])), timeout=20, what="the case to resume")
    assert resumed["position"] == "co-review"
    assert approve(rpc, task)["status"] == "open"


def test_a_posts_inbox_lists_its_open_tasks_nearest_deadline_first_with_working_time_left(
        stack: Stack, rpc: Any) -> None:
    open_shop_sign(stack, rpc)
    inbox = rpc.workflow.list_tasks("gs-city/commerce-bureau/reviewer")
    assert inbox and [t["due_at"] for t in inbox] == sorted(t["due_at"] for t in inbox)
    assert all("remaining_working_seconds" in t and isinstance(t["overdue"], bool) for t in inbox)


def test_an_urging_from_supervision_shows_in_the_posts_inbox_with_its_deadline(stack: Stack, rpc: Any) -> None:
    case = open_shop_sign(stack, rpc)
    task = case["tasks"][0]
    deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    urged = new_event(CASE_URGED, case["case_number"], {
        "target": task["task_id"], "stage": task["stage"], "post": task["post"], "tenant": "gs-city",
        "item_code": "GS-CG-0201", "urged_by": "gs-city/supervision-office/supervisor", "deadline": deadline,
        "note": "请今日办结"}, datetime.now(UTC))
    publish_raw(stack, "supervision", CASE_URGED, urged.to_message())

    row = wait_for(lambda: next((t for t in rpc.workflow.list_tasks(task["post"])
                                 if t["task_id"] == task["task_id"] and t.get("urged_until")), None),
                   timeout=20, what="the urging in the inbox")
    assert datetime.fromisoformat(row["urged_until"]) == deadline
