"""The engine on the seeds' processes: parallel co-review, joint meeting, signing chain, choices,
the fast track, and every action a post can take on a case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from casekit import CALENDAR, SHIPPED, approve, at, finish, open_on

from sunlight.contracts import (
    CASE_APPROVED,
    CASE_REJECTED,
    CASE_RESUMED,
    CASE_RETURNED,
    CASE_SUSPENDED,
    CASE_WITHDRAWN,
    TASK_CLAIMED,
    TASK_CREATED,
    TASK_DELEGATED,
    TASK_TRANSFERRED,
    Event,
)
from sunlight.errors import Conflict, Forbidden, ValidationFailed
from workflow import actions, domain

SHOP_SIGN = SHIPPED[("shop-sign-approval", 1)]
LAND_SUPPLY = SHIPPED[("land-supply-approval", 1)]
SITE = SHIPPED[("site-selection-pre-review", 1)]
FAST = SHIPPED[("fast-track-registration", 1)]
CONSTRUCTION = SHIPPED[("construction-land-approval", 1)]


def types(events: tuple[Event, ...]) -> list[str]:
    return [Event.from_message(e.to_message()).event_type for e in events]


def test_a_shop_sign_is_reviewed_by_four_departments_in_parallel_and_the_leader_gets_it_after_the_last() -> None:
    case = open_on(SHOP_SIGN).case
    posts = sorted(t.post for t in case.open_tasks)
    assert posts == ["yz-land/cityscape-section/reviewer", "yz-land/commerce-bureau/reviewer",
                     "yz-land/planning-bureau/reviewer", "yz-land/traffic-police/reviewer"]
    for task in case.open_tasks[:3]:
        case = approve(SHOP_SIGN, case, task).case
        assert case.position == "co-review"
    decision = approve(SHOP_SIGN, case, case.open_tasks[0])
    assert [t.stage for t in decision.case.open_tasks] == ["approve"]
    assert types(decision.events) == ["task.completed", TASK_CREATED]


def test_one_department_refusing_a_shop_sign_rejects_it_with_that_reason_and_closes_the_other_tasks() -> None:
    case = open_on(SHOP_SIGN).case
    decision = approve(SHOP_SIGN, case, case.open_tasks[2], decision="reject", opinion="遮挡交通标志")
    assert decision.case.status == "rejected" and not decision.case.open_tasks
    assert decision.events[-1].event_type == CASE_REJECTED
    assert decision.events[-1].payload["reason"] == "遮挡交通标志"


def test_site_selection_disagreement_goes_to_coordination_which_decides() -> None:
    case = finish_stage(SITE, open_on(SITE).case, "accept-check")
    case = approve(SITE, case, case.open_tasks[0], decision="reject", opinion="不符合土地利用总体规划").case
    assert [t.stage for t in case.open_tasks] == ["coordination"]
    case = approve(SITE, case, case.open_tasks[0], opinion="协调一致：调整选址后同意").case
    assert [t.stage for t in case.open_tasks] == ["approve"]


def finish_stage(definition: domain.Definition, case: domain.Case, stage: str) -> domain.Case:
    while case.position == stage:
        case = approve(definition, case, case.open_tasks[0]).case
    return case


def test_the_land_supply_meeting_waits_for_all_eight_and_goes_to_coordination_on_any_dissent() -> None:
    case = open_on(LAND_SUPPLY).case
    for stage in ("planning-opinion", "functional-review", "verification"):
        case = finish_stage(LAND_SUPPLY, case, stage)
    assert case.position == "joint-meeting" and len(case.open_tasks) == 8
    case = approve(LAND_SUPPLY, case, case.open_tasks[0], decision="reject", opinion="地价偏低").case
    assert case.position == "joint-meeting" and len(case.open_tasks) == 7  # a meeting hears everyone
    for task in case.open_tasks:
        case = approve(LAND_SUPPLY, case, task).case
    assert case.position == "coordination"


def test_five_leaders_sign_one_after_another() -> None:
    case = open_on(LAND_SUPPLY).case
    for stage in ("planning-opinion", "functional-review", "verification", "joint-meeting"):
        case = finish_stage(LAND_SUPPLY, case, stage)
    signers = []
    while case.position == "leaders-sign":
        assert len(case.open_tasks) == 1
        signers.append(case.open_tasks[0].post.rsplit("/", 1)[1])
        case = approve(LAND_SUPPLY, case, case.open_tasks[0]).case
    assert signers == ["deputy-director-1", "deputy-director-2", "deputy-director-3", "discipline-inspector",
                       "director"]
    assert case.position == "government-approve"


@pytest.mark.parametrize(("area", "government"), [(52.5, True), (35, False), ("12", False)])
def test_construction_land_above_35_mu_needs_the_government(area: object, government: bool) -> None:
    case = finish(CONSTRUCTION, open_on(CONSTRUCTION, {"area_mu": area}).case)
    assert case.status == "approved"
    assert ("government-approve" in {t.stage for t in case.tasks}) is government


def test_a_process_that_routes_on_a_missing_form_field_names_it() -> None:
    case = finish_stage(CONSTRUCTION, open_on(CONSTRUCTION, {}).case, "handle")
    case = finish_stage(CONSTRUCTION, case, "review")
    with pytest.raises(ValidationFailed) as refused:
        approve(CONSTRUCTION, case, case.open_tasks[0])
    assert refused.value.fields == {"form.area_mu": ["required by the process"]}


def test_fast_track_tasks_fall_due_in_working_hours_over_lunch() -> None:
    case = domain.open_case(FAST, {**accepted_fast(), "form": {}}, at(11, 2, 11, 45), CALENDAR).case
    assert case.open_tasks[0].due_at == CALENDAR.add_working_hours(at(11, 2, 11, 45), timedelta(minutes=30))


def accepted_fast() -> dict[str, object]:
    from casekit import accepted
    return accepted("fast-track-registration", tenant="hz-land")


def test_a_return_for_correction_stops_the_clock_and_resumes_at_the_same_stage_with_the_due_time_moved() -> None:
    case = open_on(SHOP_SIGN).case
    task = case.open_tasks[1]
    returned = actions.return_for_correction(case, task_id=task.task_id, post=task.post, actor="王芳",
                                            missing=["design-drawing"], reason="效果图缺尺寸", now=at(11, 3, 9))
    assert returned.case.status == "returned" and types(returned.events) == [CASE_RETURNED]
    with pytest.raises(Conflict, match="clock is stopped"):
        approve(SHOP_SIGN, returned.case, task)
    resumed = actions.resume(returned.case, actor="intake", now=at(11, 4, 9), calendar=CALENDAR, after="returned")
    assert types(resumed.events) == [CASE_RESUMED]
    assert resumed.case.position == "co-review"
    assert [t.task_id for t in resumed.case.open_tasks] == [t.task_id for t in case.open_tasks]
    # stopped from 09:00 one working day to 09:00 the next: the due time moves one working day too
    assert (task.due_at, resumed.case.task(task.task_id).due_at) == (at(11, 5, 17, 30), at(11, 6, 17, 30))
    assert resumed.events[0].payload["stopped_working_seconds"] == 7.5 * 3600


def test_a_return_names_what_is_missing_and_why() -> None:
    case = open_on(SHOP_SIGN).case
    task = case.open_tasks[0]
    with pytest.raises(ValidationFailed) as refused:
        actions.return_for_correction(case, task_id=task.task_id, post=task.post, actor="王芳", missing=[],
                                     reason=" ", now=at(11, 3, 9))
    assert set(refused.value.fields) == {"missing", "reason"}


def test_an_expert_review_suspends_the_case_and_only_excluded_steps_may() -> None:
    case = open_on(FAST).case
    task = case.open_tasks[0]
    with pytest.raises(ValidationFailed):
        actions.suspend(case, task_id=task.task_id, post=task.post, actor="a", cause="lunch", reason="",
                       now=at(11, 2, 10))
    suspended = actions.suspend(case, task_id=task.task_id, post=task.post, actor="a", cause="expert-review",
                               reason="专家论证", now=at(11, 2, 10))
    assert suspended.case.status == "suspended" and types(suspended.events) == [CASE_SUSPENDED]
    with pytest.raises(Conflict):
        actions.resume(suspended.case, actor="a", now=at(11, 2, 11), calendar=CALENDAR, after="returned")


def test_the_applicant_withdraws_and_nothing_can_be_completed_afterwards() -> None:
    case = open_on(SHOP_SIGN).case
    withdrawn = actions.withdraw(case, actor="applicant", reason="不再设置招牌", now=at(11, 3, 9))
    assert withdrawn.case.status == "withdrawn" and types(withdrawn.events) == [CASE_WITHDRAWN]
    with pytest.raises(Conflict, match="closed"):
        approve(SHOP_SIGN, withdrawn.case, case.open_tasks[0])


def test_a_claimed_task_is_left_alone_by_colleagues_on_the_same_post() -> None:
    case = open_on(FAST).case
    task = case.open_tasks[0]
    claimed = actions.claim(case, task_id=task.task_id, post=task.post, actor="李娜", now=at(11, 2, 9))
    assert types(claimed.events) == [TASK_CLAIMED]
    with pytest.raises(Forbidden, match="claimed by 李娜"):
        approve(FAST, claimed.case, task, actor="张伟")
    assert approve(FAST, claimed.case, task, actor="李娜").case.task(task.task_id).status == "completed"


def test_a_transferred_task_belongs_to_the_new_post_only() -> None:
    case = open_on(FAST).case
    task = case.open_tasks[0]
    moved = actions.transfer(case, task_id=task.task_id, post=task.post, actor="李娜",
                            to_post="yz-land/registration-window/senior-clerk", reason="重大项目", now=at(11, 2, 9))
    assert types(moved.events) == [TASK_TRANSFERRED]
    with pytest.raises(Forbidden):
        approve(FAST, moved.case, task)
    assert moved.case.open_tasks[0].post == "yz-land/registration-window/senior-clerk"


def test_a_task_for_an_absent_a_post_goes_straight_to_its_b_backup() -> None:
    decision = open_on(FAST, absent=frozenset({"yz-land/registration-window/clerk"}))
    task = decision.case.open_tasks[0]
    assert task.post == "yz-land/registration-window/clerk-b"
    assert task.delegated_from == "yz-land/registration-window/clerk"
    assert types(decision.events)[-1] == TASK_DELEGATED


def test_delegating_by_hand_moves_the_task_to_the_b_post_once() -> None:
    case = open_on(FAST).case
    task = case.open_tasks[0]
    delegated = actions.delegate(FAST, case, task_id=task.task_id, actor="科长", reason="出差", now=at(11, 2, 9))
    assert delegated.case.open_tasks[0].post.endswith("/clerk-b")
    with pytest.raises(Conflict):
        actions.delegate(FAST, delegated.case, task_id=task.task_id, actor="科长", reason="出差", now=at(11, 2, 9))


def test_a_co_reviewing_department_added_mid_case_must_also_approve_before_the_join() -> None:
    case = open_on(SHOP_SIGN).case
    added = actions.add_co_reviewer(SHOP_SIGN, case, department="fire-brigade", role="reviewer", name="消防",
                                   actor="科长", now=at(11, 3, 9), calendar=CALENDAR)
    assert added.events[0].payload["added_by"] == "科长"
    case = added.case
    for task in [t for t in case.open_tasks if t.branch != "fire-brigade"]:
        case = approve(SHOP_SIGN, case, task).case
    assert case.position == "co-review"
    case = approve(SHOP_SIGN, case, case.open_tasks[0]).case
    assert case.position == "approve"
    with pytest.raises(Conflict, match="not a parallel review"):
        actions.add_co_reviewer(SHOP_SIGN, case, department="x", role="r", name="x", actor="a", now=at(11, 3, 9),
                               calendar=CALENDAR)


def test_completion_events_carry_who_when_the_opinion_and_the_timing() -> None:
    case = open_on(FAST).case
    decision = approve(FAST, case, case.open_tasks[0], actor="李娜", opinion="材料齐全")
    payload = Event.from_message(decision.events[0].to_message()).payload
    assert payload["actor"] == "李娜" and payload["opinion"] == "材料齐全"
    assert payload["overdue"] is True  # due 09:30 on Nov 2, done the next day
    assert payload["working_seconds"] == payload["case_working_seconds"] > 0


def test_a_fully_approved_case_says_so_once() -> None:
    case = open_on(FAST).case
    events: list[str] = []
    while case.status == "open":
        decision = approve(FAST, case, case.open_tasks[0])
        case, events = decision.case, events + types(decision.events)
    assert events.count(CASE_APPROVED) == 1 and CASE_REJECTED not in events
