"""What a post sends to complete a task, and how a task appears in an inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from sunlight.calendar import SHANGHAI
from sunlight.contracts import load_or_fail
from sunlight.errors import ValidationFailed
from workflow.domain import Task
from workflow.schemas import CompleteTaskSchema, TaskSchema


def command(**changes: Any) -> dict[str, Any]:
    body = {"task_id": "GS-2026-000001.handle.1", "post": "gs-city/approval-section/reviewer",
            "actor": "李娜", "decision": "approve", "opinion": "材料齐全，拟同意"}
    body.update(changes)
    return body


def refused(body: Any) -> dict[str, Any]:
    with pytest.raises(ValidationFailed) as failure:
        load_or_fail(CompleteTaskSchema(), body, "task completion")
    return failure.value.fields


def test_a_completion_loads_and_an_approval_needs_no_opinion() -> None:
    assert load_or_fail(CompleteTaskSchema(), command(), "task completion") == command()
    body = command()
    del body["opinion"]
    assert load_or_fail(CompleteTaskSchema(), body, "task completion")["opinion"] == ""


def test_every_bad_field_of_a_completion_is_named_at_once() -> None:
    assert refused(command(decision="同意", actor="", urgent=True, opinion="很" * 2001)) == {
        "decision": ["Must be one of: approve, reject."],
        "actor": ["Length must be between 1 and 64."],
        "opinion": ["Longer than maximum length 2000."],
        "urgent": ["Unknown field."],
    }


def test_a_completion_without_task_post_or_decision_names_all_three() -> None:
    assert set(refused({"actor": "李娜"})) == {"task_id", "post", "decision"}


def test_an_inbox_task_shows_its_due_time_with_the_offset() -> None:
    task = Task(task_id="GS-2026-000001.handle.1", stage="handle", post="gs-city/approval-section/reviewer",
                opened_at=datetime(2026, 9, 25, 10, 31, tzinfo=SHANGHAI),
                due_at=datetime(2026, 9, 29, 17, 30, tzinfo=SHANGHAI))
    dumped = TaskSchema().dump(task)
    assert dumped["due_at"] == "2026-09-29T17:30:00+08:00"
    assert dumped["status"] == "open"
    assert dumped["post"] == "gs-city/approval-section/reviewer"
