"""Statistics and assessment from case clocks, lights and ratings: working hours per stage (average, p90),
on-time rates, lights, ratings and the quarterly grade; the CSV export. Pure, with the real 2026 calendar."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import pytest

from sunlight.calendar import SHANGHAI, WorkingCalendar
from supervision.domain.clocks import CaseClock, StageClock, StoppedPeriod
from supervision.domain.statistics import (
    LightFact,
    Period,
    RatingFact,
    compute,
    grade,
    percentile90,
    quarter,
    summarize,
    to_csv,
)

CALENDAR = WorkingCalendar.default()
REVIEWER = "gs-city/approval-section/reviewer"
LEADER = "gs-city/approval-section/leader"
SURVEYOR = "gs-city/survey-section/surveyor"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)  # 2 November 2026 is a Monday


def stage(case: str, name: str, post: str, opened: datetime, due: datetime, done: datetime | None) -> StageClock:
    return StageClock(task_id=f"{case}.{name}", stage=name, post=post, opened_at=opened, due_at=due,
                      completed_at=done)


def case(number: str, *stages: StageClock, closed: datetime | None = None, item: str = "GS-CG-0201",
         stops: tuple[StoppedPeriod, ...] = ()) -> CaseClock:
    return CaseClock(case_number=number, tenant="gs-city", item_code=item, accepted_at=at(2, 9),
                     promised_date=date(2026, 11, 6), stages=stages, stops=stops,
                     outcome="approved" if closed else "", closed_at=closed)


# review of A: Mon 9:00 → Mon 11:00 = 2 h, on time (due Tue 17:30); its approval 11:00 → 15:00 = 2.5 h
# review of B: Mon 9:00 → Wed 9:00 = 7 h + 7.5 h + 0.5 h = 15 h, late (due Mon 17:30)
# review of C: Mon 9:00 → Tue 9:00 with a correction Mon 13:30 → Tue 8:30 stopped: 3 h + 0.5 h = 3.5 h
A = case("GS-2026-000001", stage("A", "review", REVIEWER, at(2, 9), at(3, 17, 30), at(2, 11)),
         stage("A", "approve", LEADER, at(2, 11), at(3, 17, 30), at(2, 15)), closed=at(2, 15))
B = case("GS-2026-000002", stage("B", "review", REVIEWER, at(2, 9), at(2, 17, 30), at(4, 9)),
         closed=at(10, 9))  # case closed after its promised date (Fri 6 Nov): late
C = case("GS-2026-000003", stage("C", "review", REVIEWER, at(2, 9), at(3, 17, 30), at(3, 9)),
         stops=(StoppedPeriod("correction", "缺营业执照", at(2, 13, 30), at(3, 8, 30)),))
OTHER = case("GS-2026-000004", stage("D", "survey", SURVEYOR, at(2, 9), at(3, 17, 30), at(2, 10)), item="GS-GT-0101")


def rows(**kwargs: object) -> dict[tuple[str, str], dict]:
    found = compute([summarize(c, CALENDAR) for c in (A, B, C, OTHER)],
                    [LightFact("GS-2026-000002", REVIEWER, "yellow", at(3, 9)),
                     LightFact("GS-2026-000002", "", "yellow", at(9, 17))],
                    [RatingFact("GS-2026-000001", 5, at(3, 10)), RatingFact("GS-2026-000002", 2, at(10, 10))],
                    CALENDAR, **kwargs)  # type: ignore[arg-type]
    return {(r["dimension"], r["key"]): r for r in found}


def test_a_post_is_measured_in_working_hours_per_stage_with_stops_excluded() -> None:
    reviewer = rows()[("post", REVIEWER)]
    assert reviewer["cases_handled"] == 3
    assert reviewer["stages"] == {"review": {"count": 3, "average_hours": round((2 + 15 + 3.5) / 3, 2),
                                             "p90_hours": 15.0}}
    assert reviewer["on_time_rate"] == round(2 / 3, 4)
    assert reviewer["lights"] == {"prompt": 0, "yellow": 1, "red": 0}
    assert reviewer["ratings"] == {"count": 2, "average": 3.5}  # A (5) and B (2): it handled both
    assert reviewer["grade"] == "不合格"


def test_a_department_sums_its_posts_and_a_tenant_and_item_count_closed_cases() -> None:
    found = rows()
    section = found[("department", "approval-section")]
    assert section["cases_handled"] == 3 and set(section["stages"]) == {"review", "approve"}
    assert section["on_time_rate"] == 0.75
    item = found[("item", "GS-CG-0201")]
    assert item["cases_handled"] == 2 and item["on_time_rate"] == 0.5  # A on time, B late; C still open
    assert item["lights"]["yellow"] == 2 and "grade" not in item
    tenant = found[("tenant", "gs-city")]
    assert tenant["cases_handled"] == 2 and tenant["stages"]["survey"]["count"] == 1
    assert found[("department", "survey-section")]["grade"] == "优秀"  # on time, no ratings, no red light


def test_the_period_keeps_only_what_happened_in_it_and_a_tenant_filter_keeps_its_own() -> None:
    first_week = rows(period=Period(date(2026, 11, 2), date(2026, 11, 6)))
    assert first_week[("item", "GS-CG-0201")]["cases_handled"] == 1  # B closed on the 10th
    assert first_week[("post", REVIEWER)]["ratings"]["count"] == 1
    assert rows(tenant="hz-land") == {}


def test_percentile_and_grade_rules() -> None:
    assert percentile90([float(n) for n in range(1, 11)]) == 9.0
    assert percentile90([3.0]) == 3.0
    assert grade(0.96, None, 0) == "优秀" and grade(0.96, 4.6, 1) == "良好"
    assert grade(0.85, 3.2, 0) == "合格" and grade(0.79, 5.0, 0) == "不合格" and grade(None, None, 0) == "无数据"


def test_a_quarter_runs_from_its_first_to_its_last_day() -> None:
    assert quarter("2026Q4") == Period(date(2026, 10, 1), date(2026, 12, 31))
    assert quarter("2026Q1") == Period(date(2026, 1, 1), date(2026, 3, 31))
    with pytest.raises(ValueError):
        quarter("2026Q5")


def test_the_csv_has_chinese_headers_and_one_line_per_stage() -> None:
    text = to_csv(compute([summarize(A, CALENDAR)], [], [], CALENDAR))
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:4] == ["维度", "对象", "租户", "办件数"]
    post_lines = [line for line in table[1:] if line[0] == "post"]
    assert [(line[1], line[4], line[6]) for line in post_lines] == [(LEADER, "approve", "2.5"),
                                                                      (REVIEWER, "review", "2.0")]
