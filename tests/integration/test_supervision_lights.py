"""Supervision through real processes: a stage left overdue lights up yellow, its post must say why, the
supervising post urges it, and every step is an event in the audit chain.

The case's events are put on the broker as intake and workflow would publish them, with the times they
happened set in the past (a stage due on 4 November 2026), so the lights are due the moment they arrive.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import pytest

from sunlight.calendar import SHANGHAI
from sunlight.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.integration.support import metric, publish_raw, query
from tools.drive import drive_one, sample_application, wait_for
from tools.stack import Stack

pytestmark = pytest.mark.integration

REVIEWER = "gs-city/approval-section/reviewer"
SUPERVISOR = "gs-city/supervision-office/supervisor"
APPLICANT = {"name": "杭州拱墅区知味观餐饮有限公司", "mobile": "13957112345"}


def at(day: int, hour: int) -> str:
    return datetime(2026, 11, day, hour, tzinfo=SHANGHAI).isoformat()


def envelope(kind: str, case: str, source: str, when: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"event_id": str(uuid.uuid4()), "event_type": kind, "schema_version": 1, "occurred_at": when,
            "source": source, "case_number": case, "payload": payload}


def open_overdue_case(stack: Stack) -> tuple[str, str]:
    case = f"GS-2026-9{uuid.uuid4().int % 100000:05d}"
    task = f"{case}.review.1"
    # the task before the acceptance: out of order on purpose, it must be reconciled, not dropped
    publish_raw(stack, "workflow", "task.created", envelope("task.created", case, "workflow", at(2, 9), {
        "task_id": task, "stage": "review", "post": REVIEWER, "due_at": at(4, 17)}))
    publish_raw(stack, "intake", "application.accepted", envelope("application.accepted", case, "intake", at(2, 9), {
        "application_number": case, "item_code": "GS-CG-0201", "item_name": "户外招牌设置审批", "tenant": "gs-city",
        "process": "handle-approve", "applicant": APPLICANT, "accepted_at": at(2, 9), "promised_date": "2026-12-31",
        "certificate_kind": "permit"}))
    return case, task


def lights_of(rpc: Any, case: str) -> set[tuple[str, str]]:
    return {(light["target"], light["level"]) for light in rpc.supervision.case_supervision(case)["lights"]}


def test_an_overdue_stage_is_lit_explained_and_urged(stack: Stack, rpc: Any) -> None:
    case, task = open_overdue_case(stack)
    wait_for(lambda: (task, "yellow") in lights_of(rpc, case) or None, timeout=20, what="the yellow light")
    assert lights_of(rpc, case) == {(task, "prompt"), (task, "yellow")}  # the case as a whole is on time
    # the board counts it against the reviewing department, and the tick reports it is alive
    assert metric(stack, "supervision", "sunlight_warnings_raised_total", level="yellow", tenant="gs-city",
                  department="approval-section") >= 1
    assert wait_for(lambda: metric(stack, "supervision", "sunlight_supervision_tick_last_run_timestamp_seconds")
                    or None, timeout=20, what="a tick") > 0

    with pytest.raises(Conflict, match="not delayed"):
        rpc.supervision.enter_delay_reason({"case_number": case, "target": "case", "post": REVIEWER,
                                            "reason": "等待规划意见"})
    with pytest.raises(Forbidden):
        rpc.supervision.enter_delay_reason({"case_number": case, "target": task, "post": SUPERVISOR,
                                            "reason": "等待规划意见"})
    rpc.supervision.enter_delay_reason({"case_number": case, "target": task, "post": REVIEWER,
                                        "reason": "等待规划意见"})
    with pytest.raises(Conflict, match="already"):
        rpc.supervision.enter_delay_reason({"case_number": case, "target": task, "post": REVIEWER,
                                            "reason": "again"})

    with pytest.raises(Forbidden):
        rpc.supervision.urge({"case_number": case, "target": task, "urged_by": REVIEWER})
    with pytest.raises(ValidationFailed) as bad:
        rpc.supervision.urge({"case_number": case, "target": task, "urged_by": SUPERVISOR, "working_days": 0})
    assert "working_days" in bad.value.fields
    urged = rpc.supervision.urge({"case_number": case, "target": task, "urged_by": SUPERVISOR, "note": "请加快"})
    assert urged["target"] == task

    view = rpc.supervision.case_supervision(case)
    assert view["delay_reasons"] == [{"target": task, "post": REVIEWER, "reason": "等待规划意见"}]
    assert view["urgings"][0]["urged_by"] == SUPERVISOR
    trail = [row.event_type for row in query(
        stack, "supervision", "SELECT event_type FROM audit_log WHERE case_number = :n ORDER BY seq", n=case)]
    assert {"deadline.prompted", "deadline.yellow", "case.urged"} <= set(trail)
    assert rpc.supervision.verify_audit_chain()["ok"] is True


def test_a_completed_case_is_rated_once_and_a_bad_rating_opens_a_rectification(stack: Stack, rpc: Any) -> None:
    done = drive_one(rpc, sample_application(3))
    number, code = done.number, done.receipt["query_code"]
    wait_for(lambda: rpc.supervision.public_status(number, code)["current_stage"] == "completed" or None,
             timeout=20, what="supervision to see the case completed")

    with pytest.raises(NotFound) as wrong:
        rpc.supervision.rate_case({"application_number": number, "query_code": "wrong", "level": 1})
    with pytest.raises(NotFound) as unknown:
        rpc.supervision.rate_case({"application_number": "GS-2026-999999", "query_code": code, "level": 1})
    assert str(wrong.value) == str(unknown.value)  # a guess learns nothing
    # what the discipline commission reads: every payload of the trail, and no query code in any of them
    assert code not in json.dumps(rpc.supervision.inspect_case_trail(number), ensure_ascii=False)
    rated = rpc.supervision.rate_case({"application_number": number, "query_code": code, "level": 2,
                                       "comment": "窗口排队太久"})
    assert rated["level"] == 2 and rated["rectification_due"]
    with pytest.raises(Conflict, match="already been rated"):
        rpc.supervision.rate_case({"application_number": number, "query_code": code, "level": 5})

    [row] = query(stack, "supervision", "SELECT level, rectification_due FROM ratings WHERE case_number = :n", n=number)
    assert row.level == 2 and row.rectification_due is not None
    assert "rating.received" in [e["event_type"] for e in rpc.supervision.case_audit_trail(number)]
    assert metric(stack, "supervision", "sunlight_ratings_total", level="2") >= 1
