"""网上会办 is time-boxed: when the box runs out with departments still silent, the case goes to the
coordination stage; before that, nothing happens."""

from __future__ import annotations

from datetime import timedelta

from casekit import CALENDAR, SHIPPED, approve, open_on

from sunlight.contracts import TASK_CREATED, Event
from workflow import actions, domain, saved

LAND_SUPPLY = SHIPPED[("land-supply-approval", 1)]


def at_the_meeting() -> domain.Case:
    case = open_on(LAND_SUPPLY).case
    while case.position != "joint-meeting":
        for task in case.open_tasks:
            case = approve(LAND_SUPPLY, case, task).case
    return case


def test_a_meeting_still_inside_its_time_box_is_left_alone() -> None:
    case = at_the_meeting()
    due = max(t.due_at for t in case.open_tasks)
    assert actions.close_expired_meeting(LAND_SUPPLY, case, now=due - timedelta(minutes=1), calendar=CALENDAR) is None


def test_silent_departments_after_the_time_box_send_the_case_to_coordination() -> None:
    case = at_the_meeting()
    for task in case.open_tasks[:5]:  # five of eight give their opinion in time
        case = approve(LAND_SUPPLY, case, task).case
    silent = {t.task_id for t in case.open_tasks}
    assert len(silent) == 3
    after = max(t.due_at for t in case.open_tasks) + timedelta(minutes=1)

    decision = actions.close_expired_meeting(LAND_SUPPLY, case, now=after, calendar=CALENDAR)

    assert decision is not None
    closed = decision.case
    assert closed.position == "coordination" and closed.status == "open"
    expired = [t for t in closed.tasks if t.task_id in silent]
    assert all(t.status == "expired" and t.opinion == "时限内未发表意见" for t in expired)
    created = [Event.from_message(e.to_message()) for e in decision.events]
    assert [e.event_type for e in created] == [TASK_CREATED]
    assert created[0].payload["stage"] == "coordination"
    # the restored state keeps it: an expired task is not open again after a restart
    assert saved.from_state(saved.to_state(closed)) == closed


def test_a_case_not_at_a_meeting_is_never_touched() -> None:
    case = open_on(LAND_SUPPLY).case
    far_later = max(t.due_at for t in case.open_tasks) + timedelta(days=60)
    assert actions.close_expired_meeting(LAND_SUPPLY, case, now=far_later, calendar=CALENDAR) is None


def test_an_urged_task_carries_the_supervisors_deadline_and_a_done_one_is_not_reopened() -> None:
    case = at_the_meeting()
    done, urged, *_ = case.open_tasks
    case = approve(LAND_SUPPLY, case, done).case
    deadline = max(t.due_at for t in case.open_tasks)

    marked = actions.record_urging(case, target=urged.task_id, urged_by="yz-land/supervision-office/supervisor",
                                  deadline=deadline).case

    assert marked.task(urged.task_id).urged_until == deadline.isoformat()
    assert marked.task(done.task_id).urged_by == "" and marked.task(done.task_id).status == "completed"
    whole = actions.record_urging(case, target="case", urged_by="督办岗", deadline=deadline).case
    assert {t.urged_by for t in whole.open_tasks} == {"督办岗"}
    assert saved.from_state(saved.to_state(marked)) == marked
