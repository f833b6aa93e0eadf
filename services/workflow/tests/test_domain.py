"""The routing engine: a shop-sign application is handled by a reviewer and approved by a leader.

Times are Hangzhou office times in the run-up to National Day 2026 (off Oct 1 – 7; Sat Oct 10 is a
make-up working day), so due times visibly skip the holiday.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from sunlight.calendar import SHANGHAI, WorkingCalendar
from sunlight.contracts import (
    APPLICATION_ACCEPTED,
    CASE_APPROVED,
    CASE_OPENED,
    CASE_REJECTED,
    TASK_COMPLETED,
    TASK_CREATED,
    Event,
    new_event,
)
from sunlight.errors import Conflict, Forbidden, NotFound, ValidationFailed
from workflow import domain, saved
from workflow.definitions import load_definitions

CALENDAR = WorkingCalendar()
HANDLE_APPROVE = load_definitions()[("handle-approve", 1)]
REVIEWER = "gs-city/approval-section/reviewer"
LEADER = "gs-city/leadership/leader"
APPLICANT = {"name": "杭州拱墅区知味观餐饮有限公司", "mobile": "13957112345"}


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def accepted_payload() -> dict[str, Any]:
    """What workflow receives: intake's application.accepted, as it arrives off the wire."""
    event = new_event(APPLICATION_ACCEPTED, "GS-2026-000001", {
        "application_number": "GS-2026-000001",
        "item_code": "GS-CG-0201",
        "item_name": "户外招牌设置审批",
        "tenant": "gs-city",
        "process": "handle-approve",
        "applicant": APPLICANT,
        "accepted_at": at(9, 25, 10, 30),
        "promised_date": date(2026, 10, 9),
        "certificate_kind": "permit",
    }, at(9, 25, 10, 30))
    return dict(Event.from_message(event.to_message()).payload)


def opened() -> domain.Case:
    return domain.open_case(HANDLE_APPROVE, accepted_payload(), at(9, 25, 10, 31), CALENDAR).case


def complete(case: domain.Case, task_id: str, post: str, decision: str = "approve", opinion: str = "",
             now: datetime | None = None, actor: str = "李娜") -> domain.Decision:
    return domain.complete_task(
        HANDLE_APPROVE, case, task_id=task_id, post=post, actor=actor, decision=decision,
        opinion=opinion, now=now or at(9, 28, 9), calendar=CALENDAR)


def handled(opinion: str = "材料齐全，招牌尺寸符合规范，拟同意") -> domain.Case:
    case = opened()
    return complete(case, case.tasks[0].task_id, REVIEWER, opinion=opinion, now=at(9, 30, 16)).case


def wire(events: tuple[Event, ...]) -> list[Event]:
    """Every event as its consumer would receive it (validated both ways)."""
    return [Event.from_message(event.to_message()) for event in events]


# --- opening a case ----------------------------------------------------------------------------


def test_an_accepted_application_opens_a_case_with_a_handle_task_for_the_reviewer_post() -> None:
    decision = domain.open_case(HANDLE_APPROVE, accepted_payload(), at(9, 25, 10, 31), CALENDAR)
    case = decision.case
    assert (case.case_number, case.status, case.tenant) == ("GS-2026-000001", "open", "gs-city")
    assert (case.definition_key, case.definition_version) == ("handle-approve", 1)
    assert case.promised_date == date(2026, 10, 9)
    [task] = case.tasks
    assert task.stage == "handle"
    assert task.post == REVIEWER
    assert task.status == "open"
    # two working days after Friday Sep 25: Mon 28, Tue 29, at the close of office hours
    assert task.due_at == at(9, 29, 17, 30)
    assert case.open_tasks == (task,)


def test_opening_announces_case_opened_and_task_created() -> None:
    decision = domain.open_case(HANDLE_APPROVE, accepted_payload(), at(9, 25, 10, 31), CALENDAR)
    case_opened, task_created = wire(decision.events)
    assert case_opened.event_type == CASE_OPENED
    assert case_opened.case_number == "GS-2026-000001"
    assert case_opened.payload == {"item_code": "GS-CG-0201", "tenant": "gs-city",
                                   "definition": "handle-approve", "definition_version": 1}
    assert task_created.event_type == TASK_CREATED
    assert task_created.payload == {"branch": "", "added_by": "",
                                    "task_id": decision.case.tasks[0].task_id, "stage": "handle",
                                    "post": REVIEWER, "due_at": at(9, 29, 17, 30)}
    assert {case_opened.source, task_created.source} == {"workflow"}


def test_the_post_of_a_stage_belongs_to_the_tenant_of_the_case() -> None:
    payload = {**accepted_payload(), "tenant": "hz-land", "application_number": "HZ-2026-000001"}
    case = domain.open_case(HANDLE_APPROVE, payload, at(9, 25, 10, 31), CALENDAR).case
    assert case.tasks[0].post == "hz-land/approval-section/reviewer"


# --- handle → approve → approved ---------------------------------------------------------------


def test_completing_handle_opens_approve_for_the_leader_due_after_national_day() -> None:
    case = opened()
    handle = case.tasks[0]
    decision = complete(case, handle.task_id, REVIEWER, opinion="材料齐全，拟同意", now=at(9, 30, 16))
    done, approve = decision.case.tasks
    assert (done.status, done.actor, done.decision) == ("completed", "李娜", "approve")
    assert done.opinion == "材料齐全，拟同意"
    assert done.completed_at == at(9, 30, 16)
    assert (approve.stage, approve.post, approve.status) == ("approve", LEADER, "open")
    assert approve.due_at == at(10, 8, 17, 30)  # one working day after Sep 30 skips Oct 1-7
    assert decision.case.status == "open"
    assert decision.case.open_tasks == (approve,)
    task_completed, task_created = wire(decision.events)
    assert task_completed.event_type == TASK_COMPLETED
    keys = ("task_id", "stage", "post", "actor", "decision", "opinion")
    assert {k: task_completed.payload[k] for k in keys} == {
        "task_id": handle.task_id, "stage": "handle", "post": REVIEWER,
                                      "actor": "李娜", "decision": "approve", "opinion": "材料齐全，拟同意"}
    assert task_created.event_type == TASK_CREATED
    assert task_created.payload["post"] == LEADER


def test_completing_approve_closes_the_case_approved_with_what_registry_needs_to_issue_a_permit() -> None:
    case = handled()
    approve = case.open_tasks[0]
    decision = complete(case, approve.task_id, LEADER, opinion="同意", now=at(10, 8, 10), actor="张建国")
    assert decision.case.status == "approved"
    assert decision.case.closed_at == at(10, 8, 10)
    assert decision.case.open_tasks == ()
    task_completed, approved = wire(decision.events)
    assert task_completed.payload["stage"] == "approve"
    assert approved.event_type == CASE_APPROVED
    assert approved.case_number == "GS-2026-000001"
    assert approved.occurred_at == at(10, 8, 10)
    assert approved.payload == {
        "item_code": "GS-CG-0201",
        "item_name": "户外招牌设置审批",
        "tenant": "gs-city",
        "applicant": APPLICANT,
        "certificate_kind": "permit",
        "decided_at": at(10, 8, 10),
        "reason": "同意",
    }


def test_a_reject_at_handle_closes_the_case_rejected_with_the_reason_and_opens_nothing_more() -> None:
    case = opened()
    reason = "招牌设置位置占用消防通道，不符合《杭州市户外广告设施和招牌指示牌管理条例》"
    decision = complete(case, case.tasks[0].task_id, REVIEWER, decision="reject", opinion=reason)
    assert decision.case.status == "rejected"
    assert decision.case.open_tasks == ()
    assert len(decision.case.tasks) == 1
    task_completed, rejected = wire(decision.events)
    assert task_completed.payload["decision"] == "reject"
    assert rejected.event_type == CASE_REJECTED
    assert rejected.payload["reason"] == reason
    assert CASE_APPROVED not in {event.event_type for event in decision.events}


def test_the_leader_may_reject_what_the_reviewer_proposed_to_approve() -> None:
    case = handled()
    decision = complete(case, case.open_tasks[0].task_id, LEADER, decision="reject", opinion="与街区整体风貌不协调")
    assert decision.case.status == "rejected"
    assert decision.events[-1].event_type == CASE_REJECTED


@pytest.mark.parametrize("opinion", ["", "   ", "\n"])
def test_a_rejection_without_a_reason_is_refused_and_leaves_the_task_open(opinion: str) -> None:
    case = opened()
    with pytest.raises(ValidationFailed) as refused:
        complete(case, case.tasks[0].task_id, REVIEWER, decision="reject", opinion=opinion)
    assert refused.value.fields == {"opinion": ["required when rejecting"]}
    assert case.tasks[0].status == "open"


def test_a_decision_other_than_approve_or_reject_is_refused() -> None:
    case = opened()
    with pytest.raises(ValidationFailed) as refused:
        complete(case, case.tasks[0].task_id, REVIEWER, decision="return")
    assert refused.value.fields == {"decision": ["not allowed"]}


# --- who may act, and when ---------------------------------------------------------------------


@pytest.mark.parametrize("post", [LEADER, "hz-land/approval-section/reviewer", "gs-city/approval-section/clerk"])
def test_a_task_completed_by_another_post_is_forbidden(post: str) -> None:
    case = opened()
    with pytest.raises(Forbidden) as forbidden:
        complete(case, case.tasks[0].task_id, post)
    assert REVIEWER in forbidden.value.message
    assert forbidden.value.fields == {"post": ["not assigned"]}


def test_completing_the_same_task_twice_is_a_conflict() -> None:
    case = opened()
    handle = case.tasks[0].task_id
    after = complete(case, handle, REVIEWER).case
    with pytest.raises(Conflict) as conflict:
        complete(after, handle, REVIEWER)
    assert conflict.value.fields == {"task_id": ["already completed"]}


def test_any_completion_on_a_closed_case_is_a_conflict() -> None:
    case = opened()
    rejected = complete(case, case.tasks[0].task_id, REVIEWER, decision="reject", opinion="材料不全").case
    with pytest.raises(Conflict, match="closed"):
        complete(rejected, case.tasks[0].task_id, REVIEWER)
    approved_case = handled()
    approved = complete(approved_case, approved_case.open_tasks[0].task_id, LEADER).case
    with pytest.raises(Conflict, match="closed"):
        complete(approved, approved_case.open_tasks[0].task_id, LEADER)


def test_an_unknown_task_is_not_found() -> None:
    with pytest.raises(NotFound) as missing:
        complete(opened(), "GS-2026-000001.sign.9", REVIEWER)
    assert missing.value.fields == {"task_id": ["unknown task"]}


# --- saving and restoring case state ------------------------------------------------------------


def test_case_state_round_trips_through_json_at_every_step() -> None:
    case = opened()
    states = [case, handled()]
    states.append(complete(states[1], states[1].open_tasks[0].task_id, LEADER, now=at(10, 8, 10)).case)
    for state in states:
        stored = json.loads(json.dumps(saved.to_state(state)))
        assert stored["state_version"] == saved.STATE_VERSION
        assert saved.from_state(stored) == state


def test_a_restored_case_is_finished_exactly_like_the_original() -> None:
    case = handled()
    restored = saved.from_state(json.loads(json.dumps(saved.to_state(case))))
    task_id = case.open_tasks[0].task_id
    original = complete(case, task_id, LEADER, opinion="同意", now=at(10, 8, 10))
    again = complete(restored, task_id, LEADER, opinion="同意", now=at(10, 8, 10))
    assert again.case == original.case
    assert again.events[-1].payload == original.events[-1].payload


def test_restored_instants_keep_their_moment_whatever_zone_they_were_saved_in() -> None:
    case = replace(opened(), opened_at=datetime(2026, 9, 25, 2, 31, tzinfo=UTC))
    restored = saved.from_state(saved.to_state(case))
    assert restored.opened_at == at(9, 25, 10, 31)
    assert restored.tasks[0].due_at == at(9, 29, 17, 30)


def test_state_of_an_unknown_version_is_refused() -> None:
    state = saved.to_state(opened())
    with pytest.raises(ValidationFailed, match="unknown case state version 3"):
        saved.from_state({**state, "state_version": 3})
    with pytest.raises(ValidationFailed, match="None"):
        saved.from_state({"case": state["case"]})
