"""A complaint (信访) filed on the eve of the 2026 Spring Festival: its deadline, lights and urging, fixed clock.

The story (Gongshu city management, three working days by default):
- filed Fri 13 Feb 10:00; Sat 14 Feb is a make-up working day (调休), the holiday runs Sun 15 – Mon 23 Feb,
  so the three working days are Sat 14, Tue 24 and Wed 25 Feb: due Wed 25 Feb 17:30;
- the handler post is prompted one working day (7.5 office hours) before: Tue 24 Feb 17:30;
- nobody answers: yellow at Wed 25 Feb 17:30; the supervising post urges it Thu 26 Feb 09:00 for one
  working day, counted from the next day (Fri 27 Feb 17:30); still unanswered then, it turns red.
Every figure was counted by hand on the official 2026 schedule. ``now`` is passed in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from sunlight.calendar import SHANGHAI, WorkingCalendar
from sunlight.errors import Conflict
from supervision.domain import clocks, complaints, duties, lights
from supervision.domain.lights import PROMPT, RED, YELLOW, Thresholds, Urging

NUMBER = "GS-XF-2026-000007"
HANDLER = "gs-city/petition-office/handler"
SUPERVISOR = "gs-city/supervision-office/supervisor"
CAL = WorkingCalendar.default()
LIMITS = Thresholds()


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def filed_event(when: datetime, deadline: datetime) -> dict[str, Any]:
    return {"event_id": "filed", "event_type": "complaint.filed", "case_number": NUMBER,
            "occurred_at": when.isoformat(), "payload": {
                "tenant": "gs-city", "complainant": {"name": "王芳", "mobile": "13957112345"},
                "subject": "招牌审批拖延", "handler_post": HANDLER, "deadline": deadline.isoformat()}}


def resolved_event(when: datetime) -> dict[str, Any]:
    return {"event_id": "resolved", "event_type": "complaint.resolved", "case_number": NUMBER,
            "occurred_at": when.isoformat(), "payload": {"tenant": "gs-city", "handler_post": HANDLER,
                                                         "late": False}}


FILED = complaints.file(NUMBER, "gs-city", at(2, 13, 10), CAL)
CLOCK = clocks.replay(NUMBER, [filed_event(at(2, 13, 10), FILED.deadline)])


def test_three_working_days_from_the_eve_of_the_spring_festival_end_the_wednesday_after_it() -> None:
    assert FILED.deadline == at(2, 25, 17, 30)
    assert CLOCK.kind == clocks.COMPLAINT and CLOCK.item_code == clocks.COMPLAINT_ITEM
    [handling] = CLOCK.stages
    assert (handling.task_id, handling.post) == (clocks.HANDLING, HANDLER)
    assert clocks.stage_deadline(handling, CLOCK.stops, CAL) == at(2, 25, 17, 30)


def test_a_tenant_may_give_its_petition_office_two_working_days_instead() -> None:
    settings = {"defaults": {"complaint_working_days": 3}, "tenants": {"yz-land": {"complaint_working_days": 2}}}
    assert lights.thresholds_for(settings, "yz-land", clocks.COMPLAINT_ITEM).complaint_working_days == 2
    assert lights.thresholds_for(settings, "gs-city", clocks.COMPLAINT_ITEM).complaint_working_days == 3
    assert complaints.file(NUMBER, "gs-city", at(2, 13, 10), CAL, working_days=2).deadline == at(2, 24, 17, 30)
    with pytest.raises(ValueError, match="complaint_working_days"):
        complaints.file(NUMBER, "gs-city", at(2, 13, 10), CAL, working_days=0)


def test_the_handler_is_prompted_then_lit_yellow_on_the_handling_stage_only() -> None:
    assert lights.lights_due(CLOCK, CAL, LIMITS, at(2, 24, 17)) == []
    prompt = lights.lights_due(CLOCK, CAL, LIMITS, at(2, 24, 17, 30))
    assert [(t.target, t.level, t.at, t.post) for t in prompt] == [
        (clocks.HANDLING, PROMPT, at(2, 24, 17, 30), HANDLER)]
    due = lights.lights_due(CLOCK, CAL, LIMITS, at(2, 26, 9))
    # one light per level: the handling stage is the whole complaint, there is no second "case" light
    assert {(t.target, t.level) for t in due} == {(clocks.HANDLING, PROMPT), (clocks.HANDLING, YELLOW)}
    assert lights.next_light_at(CLOCK, CAL, LIMITS, {(clocks.HANDLING, PROMPT)}, after=at(2, 24, 17, 30)) \
        == at(2, 25, 17, 30)


def test_urging_the_complaint_as_a_whole_urges_its_handling_stage_and_turns_red_when_missed() -> None:
    with pytest.raises(Conflict, match="not overdue"):
        duties.check_urge(CLOCK, CAL, LIMITS, "case", SUPERVISOR, at(2, 25, 9))
    target = duties.check_urge(CLOCK, CAL, LIMITS, "case", SUPERVISOR, at(2, 26, 9))
    assert (target.target, target.post) == (clocks.HANDLING, HANDLER)
    urging = Urging(target.target, lights.urging_deadline(at(2, 26, 9), CAL, LIMITS))
    assert urging.deadline == at(2, 27, 17, 30)
    assert (clocks.HANDLING, RED) not in {(t.target, t.level) for t in
                                          lights.lights_due(CLOCK, CAL, LIMITS, at(2, 27, 17), [urging])}
    red = [t for t in lights.lights_due(CLOCK, CAL, LIMITS, at(2, 28, 9), [urging]) if t.level == RED]
    assert [(t.target, t.at, t.post) for t in red] == [(clocks.HANDLING, at(2, 27, 17, 30), HANDLER)]


def test_an_answer_in_time_closes_the_clock_and_no_light_comes_after_it() -> None:
    answered = clocks.replay(NUMBER, [resolved_event(at(2, 24, 10)),  # out of order: kept, placed by time
                                      filed_event(at(2, 13, 10), FILED.deadline)])
    assert answered.closed_at == at(2, 24, 10) and answered.outcome == "answered"
    assert answered.stages[0].completed_at == at(2, 24, 10)
    assert lights.lights_due(answered, CAL, LIMITS, at(3, 2, 9)) == []
    assert lights.next_light_at(answered, CAL, LIMITS, set(), after=at(2, 24, 10)) is None
    with pytest.raises(Conflict, match="finished|not overdue"):
        duties.check_urge(answered, CAL, LIMITS, "case", SUPERVISOR, at(2, 26, 9))
