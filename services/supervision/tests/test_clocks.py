"""Clocks and lights of a case that crosses the 2026 Spring Festival with a correction in the middle.

The story (Hangzhou construction-land approval, promised in 20 working days):
- accepted Mon 9 Feb 10:00; the review stage opens at once, due Thu 12 Feb 17:30 (3 working days);
- Wed 11 Feb 15:00 returned for correction (补正): the parcel map is missing; every clock stops;
- the holiday runs Sun 15 – Mon 23 Feb; Sat 14 and Sat 28 Feb are make-up working days (调休);
- Wed 25 Feb 09:00 the corrected material arrives and the case resumes;
- the review stage finishes Fri 27 Feb 10:00 — late; the approval stage opens then, due Mon 2 Mar 17:30,
  and finishes Mon 2 Mar 16:00; the case is approved Mon 2 Mar 16:30, well before its promised date.
Every figure below was counted by hand on the official 2026 schedule. Fixed clock: ``now`` is passed in.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from sunlight.calendar import SHANGHAI, WorkingCalendar
from supervision.domain import clocks, lights
from supervision.domain.clocks import StoppedPeriod
from supervision.domain.lights import PROMPT, RED, YELLOW, Thresholds, Urging

CASE = "HZ-2026-000417"
CAL = WorkingCalendar.default()
LIMITS = Thresholds()
REVIEW, APPROVE = f"{CASE}.review.1", f"{CASE}.approve.1"


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def event(kind: str, when: datetime, **payload: Any) -> dict[str, Any]:
    return {"event_id": f"{kind}@{when.isoformat()}", "event_type": kind, "case_number": CASE,
            "occurred_at": when.isoformat(), "payload": payload}


STORY = [
    event("application.accepted", at(2, 9, 10), application_number=CASE, item_code="HZ-JS-0301",
          item_name="建设用地审批", tenant="hz-land", process="construction-land-approval",
          applicant={"name": "杭州城投置业有限公司", "mobile": "13900001111"}, accepted_at=at(2, 9, 10).isoformat(),
          promised_date="2026-03-13", certificate_kind="approval", query_code="7Q4K2M"),
    event("case.opened", at(2, 9, 10), item_code="HZ-JS-0301", tenant="hz-land",
          definition="construction-land-approval", definition_version=1),
    event("task.created", at(2, 9, 10), task_id=REVIEW, stage="review", post="hz-land/use-division/reviewer",
          due_at=at(2, 12, 17, 30).isoformat()),
    event("case.returned", at(2, 11, 15), reason="宗地图缺失", stage="review"),
    event("case.resumed", at(2, 25, 9)),
    event("task.completed", at(2, 27, 10), task_id=REVIEW, stage="review", post="hz-land/use-division/reviewer",
          actor="王强", decision="approve"),
    event("task.created", at(2, 27, 10), task_id=APPROVE, stage="approve", post="hz-land/leadership/director",
          due_at=at(3, 2, 17, 30).isoformat()),
    event("task.completed", at(3, 2, 16), task_id=APPROVE, stage="approve", post="hz-land/leadership/director",
          actor="陈刚", decision="approve"),
    event("case.approved", at(3, 2, 16, 30), item_code="HZ-JS-0301", item_name="建设用地审批", tenant="hz-land",
          applicant={"name": "杭州城投置业有限公司", "mobile": "13900001111"}, certificate_kind="approval",
          decided_at=at(3, 2, 16, 30).isoformat()),
]


def clock_until(when: datetime) -> clocks.CaseClock:
    return clocks.replay(CASE, [e for e in STORY if datetime.fromisoformat(e["occurred_at"]) <= when])


def raised(clock: clocks.CaseClock, now: datetime, urgings: tuple[Urging, ...] = ()) -> set[tuple[str, str, datetime]]:
    return {(light.target, light.level, light.at) for light in lights.lights_due(clock, CAL, LIMITS, now, urgings)}


def test_the_correction_is_kept_as_a_stopped_period_with_its_reason() -> None:
    clock = clocks.replay(CASE, STORY)
    assert clock.stops == (StoppedPeriod("correction", "宗地图缺失", at(2, 11, 15), at(2, 25, 9)),)
    assert not clock.stopped and clock.outcome == "approved"


def test_the_promised_date_moves_by_the_working_days_stopped_not_by_the_holiday() -> None:
    # stopped (11 Feb, 25 Feb] holds 5 working days: 12, 13, 14 (make-up Saturday), 24, 25 Feb
    clock = clocks.replay(CASE, STORY)
    assert clocks.stopped_working_days(clock.stops, CAL) == 5
    assert clocks.case_deadline(clock, CAL) == at(3, 20, 17, 30)  # 13 Mar + 16, 17, 18, 19, 20 Mar
    assert clocks.promised_date(clock, CAL) == date(2026, 3, 20)


def test_while_returned_there_is_no_running_deadline_and_no_light() -> None:
    during = clock_until(at(2, 20, 12))  # in the middle of the holiday, case returned
    assert during.stopped
    assert clocks.case_deadline(during, CAL) is None
    assert clocks.stage_deadline(during.stages[0], during.stops, CAL) is None
    assert clocks.promised_date(during, CAL) == date(2026, 3, 13)
    assert raised(during, at(2, 20, 12)) == set()


def test_the_review_stage_deadline_skips_the_stop_in_office_hours() -> None:
    # 28.5 office hours budget; 18.5 ran before the stop; 10 more from 25 Feb 09:00: 7 on 25 Feb, 3 on 26 Feb;
    # it ran 18.5 + 7 + 7.5 + 1.5 (27 Feb until 10:00) = 34.5 office hours in all
    clock = clocks.replay(CASE, STORY)
    review = clock.stages[0]
    assert clocks.stage_budget(review, CAL) == timedelta(hours=28, minutes=30)
    assert clocks.stage_deadline(review, clock.stops, CAL) == at(2, 26, 11, 30)
    assert clocks.stage_working_time(review, clock.stops, CAL, until=at(3, 25, 9)) == timedelta(hours=34, minutes=30)


def test_a_late_stage_is_an_incident_though_the_case_is_on_time() -> None:
    now = at(3, 25, 9)
    assert raised(clocks.replay(CASE, STORY), now) == {
        (REVIEW, PROMPT, at(2, 25, 11, 30)),  # one working day (7.5 h) before its deadline
        (REVIEW, YELLOW, at(2, 26, 11, 30)),
        (APPROVE, PROMPT, at(2, 28, 17, 30)),  # on the make-up Saturday
    }
    assert not lights.is_overdue(clocks.replay(CASE, STORY), CAL, lights.CASE_TARGET, now, LIMITS)
    assert lights.is_overdue(clocks.replay(CASE, STORY), CAL, REVIEW, now, LIMITS)


def test_lights_come_one_by_one_as_the_fixed_clock_moves() -> None:
    assert raised(clock_until(at(2, 25, 11)), at(2, 25, 11)) == set()
    assert raised(clock_until(at(2, 25, 12)), at(2, 25, 12)) == {(REVIEW, PROMPT, at(2, 25, 11, 30))}
    assert {level for _, level, _ in raised(clock_until(at(2, 26, 12)), at(2, 26, 12))} == {PROMPT, YELLOW}


def test_red_when_still_overdue_after_the_urging_deadline_only() -> None:
    urged_at = at(2, 26, 14)
    urging = Urging(REVIEW, lights.urging_deadline(urged_at, CAL, LIMITS))
    assert urging.deadline == at(2, 27, 17, 30)
    # finished on 27 Feb 10:00, inside the urging deadline: yellow stays, no red
    assert RED not in {level for _, level, _ in raised(clocks.replay(CASE, STORY), at(3, 25, 9), (urging,))}
    # had it still been open: red at the urging deadline
    still_open = clock_until(at(2, 27, 9))
    assert (REVIEW, RED, at(2, 27, 17, 30)) in raised(still_open, at(2, 28, 9), (urging,))


def test_the_case_prompt_comes_one_working_day_before_its_deadline() -> None:
    open_case = clock_until(at(3, 2, 16))
    due = {(t.target, t.level): t.at for t in lights.thresholds(open_case, CAL, LIMITS)}
    assert due[(lights.CASE_TARGET, PROMPT)] == at(3, 19, 17, 30)
    assert due[(lights.CASE_TARGET, YELLOW)] == at(3, 20, 17, 30)


def test_a_short_stage_is_prompted_at_a_share_of_its_limit() -> None:
    quick = [STORY[0], event("task.created", at(3, 3, 9), task_id="q", stage="handle", post="p",
                             due_at=at(3, 3, 11).isoformat())]  # a two-hour stage
    due = {(t.target, t.level): t.at for t in lights.thresholds(clocks.replay(CASE, quick), CAL, LIMITS)}
    assert due[("q", PROMPT)] == at(3, 3, 10, 30)  # a quarter (30 minutes) left
    custom = lights.thresholds_for({"defaults": {"short_stage_prompt_share": 0.5},
                                    "items": {"HZ-JS-0301": {"prompt_lead_working_days": 2}}}, "hz-land", "HZ-JS-0301")
    assert custom == Thresholds(prompt_lead_working_days=2, short_stage_prompt_share=0.5)
    due = {(t.target, t.level): t.at for t in lights.thresholds(clocks.replay(CASE, quick), CAL, custom)}
    assert due[("q", PROMPT)] == at(3, 3, 10)


@pytest.mark.parametrize("order", ["reversed", "completion-first"])
def test_events_out_of_order_give_the_same_clock(order: str) -> None:
    shuffled = list(reversed(STORY)) if order == "reversed" else [STORY[5], *STORY[:5], *STORY[6:]]
    assert clocks.replay(CASE, shuffled) == clocks.replay(CASE, STORY)


def test_events_before_acceptance_are_kept_and_raise_nothing_until_it_arrives() -> None:
    early = clocks.replay(CASE, STORY[1:4])
    assert not early.known and len(early.stages) == 1
    assert lights.thresholds(early, CAL, LIMITS) == []


def test_a_duplicate_event_changes_nothing() -> None:
    assert clocks.replay(CASE, [*STORY, STORY[3], STORY[4]]) == clocks.replay(CASE, STORY)


def test_a_second_return_while_returned_keeps_the_first_stop() -> None:
    clock = clocks.replay(CASE, [*STORY[:4], replace_reason(STORY[3], "again", at(2, 12, 9))])
    assert len(clock.stops) == 1 and clock.stops[0].reason == "宗地图缺失"


def replace_reason(original: dict[str, Any], reason: str, when: datetime) -> dict[str, Any]:
    return {**original, "event_id": "other", "occurred_at": when.isoformat(),
            "payload": {**original["payload"], "reason": reason}}


def test_each_stage_keeps_who_finished_it() -> None:
    clock = clocks.replay(CASE, STORY)
    assert [(s.stage, s.completed_by) for s in clock.stages] == [("review", "王强"), ("approve", "陈刚")]


def test_a_case_limit_shorter_than_the_prompt_lead_gets_no_case_prompt() -> None:
    quick = [{**STORY[0], "payload": {**STORY[0]["payload"], "promised_date": "2026-02-09"}}]  # on the spot
    due = {(t.target, t.level) for t in lights.thresholds(clocks.replay(CASE, quick), CAL, LIMITS)}
    assert due == {(lights.CASE_TARGET, YELLOW)}
