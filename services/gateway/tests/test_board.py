"""The supervision board's rules: who watches which tenant and who urges; which lights are live; the bars."""

from __future__ import annotations

from typing import Any

import pytest

from gateway import board, web
from gateway.domain import Denied, Principal

SUPERVISOR = Principal("s", "supervisor", "gs-city", ("gs-city/supervision-office/supervisor",))
LEADER = Principal("l", "leader", "gs-city", ("gs-city/leadership/leader",))
INSPECTOR = Principal("i", "inspector")
REVIEWER = Principal("r", "reviewer", "gs-city", ("gs-city/approval-section/reviewer",))
REVIEW_POST, PLANNING_POST = "gs-city/approval-section/reviewer", "gs-city/planning-bureau/reviewer"


def test_a_cases_supervision_record_is_for_the_watchers_of_its_tenant_and_inspectors() -> None:
    board.may_watch_case(SUPERVISOR, "gs-city")
    board.may_watch_case(LEADER, "gs-city")
    board.may_watch_case(INSPECTOR, "yz-land")
    for who, tenant in ((LEADER, "hz-land"), (SUPERVISOR, "yz-land"), (REVIEWER, "gs-city")):
        with pytest.raises(Denied):
            board.may_watch_case(who, tenant)


def case(number: str, *, state: str = "running", lights: list[dict[str, Any]], completed: tuple[str, ...] = (),
         reasons: dict[str, str] | None = None, urged: dict[str, str] | None = None) -> dict[str, Any]:
    posts = {f"{number}.review.1": REVIEW_POST, f"{number}.planning.1": PLANNING_POST}
    return {
        "case_number": number, "tenant": "gs-city", "item_code": "GS-CG-0201", "state": state,
        "stages": [{"task_id": task, "stage": task.split(".")[1], "post": post,
                    "completed_at": "2026-11-05T09:00:00+00:00" if task in completed else None}
                   for task, post in posts.items()],
        "lights": [{"post": posts.get(light["target"], ""), "stage": "", "due_at": "2026-11-04T09:00:00+00:00",
                    **light} for light in lights],
        "delay_reasons": [{"target": t, "post": "", "reason": r} for t, r in (reasons or {}).items()],
        "urgings": [{"target": t, "urged_by": "", "deadline": d} for t, d in (urged or {}).items()],
    }


def test_a_post_with_one_red_stage_is_a_red_post_and_a_finished_or_closed_stage_no_longer_counts() -> None:
    red = case("GS-1", lights=[{"target": "GS-1.review.1", "level": "prompt"},
                               {"target": "GS-1.review.1", "level": "yellow"},
                               {"target": "GS-1.review.1", "level": "red", "due_at": "2026-11-05T09:30:00+00:00"}],
               reasons={"GS-1.review.1": "等待规划意见"}, urged={"GS-1.review.1": "2026-11-05T09:30:00+00:00"})
    yellow = case("GS-2", lights=[{"target": "GS-2.review.1", "level": "yellow"},
                                  {"target": "GS-2.planning.1", "level": "yellow"}], completed=("GS-2.planning.1",))
    closed = case("GS-3", state="closed", lights=[{"target": "GS-3.review.1", "level": "red"}])
    shown = board.board([yellow, red, closed])

    [review] = shown.posts  # planning finished its stage: its light is history, not live
    assert (review.key, review.level, review.counts) == (REVIEW_POST, "red", {"prompt": 0, "yellow": 1, "red": 1})
    assert [(d.key, d.level) for d in shown.departments] == [("approval-section", "red")]
    assert [(lit.case_number, lit.level) for lit in shown.overdue] == [("GS-1", "red"), ("GS-2", "yellow")]
    assert shown.overdue[0].delay_reason == "等待规划意见" and shown.overdue[0].urged_until
    assert shown.overdue[0].due_at == "2026-11-04T09:00:00+00:00"  # when the stage was due, not the urging
    assert shown.overdue[1].delay_reason is None


def test_a_case_wide_light_is_on_the_overdue_list_but_counts_against_no_post() -> None:
    late = case("GS-4", lights=[{"target": "case", "level": "yellow"}])
    shown = board.board([late])
    assert shown.posts == [] and [lit.target for lit in shown.overdue] == ["case"]


def test_chart_bars_scale_to_the_longest_or_to_a_fixed_top_and_leave_out_missing_figures() -> None:
    rows = [
        {"dimension": "tenant", "key": "gs-city", "tenant": "gs-city", "stages": {
            "review": {"count": 3, "average_hours": 4.0}, "approve": {"count": 1, "average_hours": 1.0}},
         "on_time_rate": 0.5, "ratings": {"average": None}},
        {"dimension": "department", "key": "approval-section", "tenant": "gs-city", "stages": {},
         "on_time_rate": 0.9, "ratings": {"average": 4.0}},
        {"dimension": "department", "key": "leadership", "tenant": "gs-city", "stages": {},
         "on_time_rate": None, "ratings": {"average": None}},
    ]
    drawn = board.charts(rows)
    assert [(b.label, b.value, b.percent) for b in drawn["stage_hours"]] == [("approve", 1.0, 25), ("review", 4.0, 100)]
    on_time = [(b.label, b.shown, b.percent) for b in drawn["on_time"]]
    assert on_time == [("杭州市拱墅区城市管理局 · 审批科", "90 %", 90)]  # a department by its Chinese name
    assert [(b.shown, b.percent) for b in drawn["ratings"]] == [("4 分", 80)]


def test_the_statistics_page_names_departments_posts_and_tenants_in_chinese() -> None:
    rows = [
        {"dimension": "department", "key": "approval-section", "tenant": "hz-land", "stages": {}, "cases_handled": 2,
         "on_time_rate": 0.5, "lights": {"yellow": 1, "red": 0}, "ratings": {"average": 4.0, "count": 1},
         "grade": "合格"},
        {"dimension": "post", "key": "gs-city/approval-section/reviewer", "tenant": "gs-city", "stages": {},
         "cases_handled": 1, "on_time_rate": None, "lights": {"yellow": 0, "red": 0},
         "ratings": {"average": None, "count": 0}, "grade": "良好"},
    ]
    html = web.page("statistics.html", who=REVIEWER, tenant=None, quarter="", rows=rows, charts=board.charts(rows),
                    post_names={}).get_data(as_text=True)
    assert "<td>杭州市国土资源局 · 审批处</td>" in html  # the chart: hz-land's own name for the section
    assert '<td data-key="approval-section">审批处</td><td>杭州市国土资源局</td>' in html
    assert '<td data-key="gs-city/approval-section/reviewer">审批科 · 审核员</td>' in html
