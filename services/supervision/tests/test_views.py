"""The supervision board shows the strongest light of each case and stage, red first, narrowed to what the
viewer asks; a complaint is followed publicly only with its query code, the complainant's name masked."""

from __future__ import annotations

from datetime import datetime

from sunlight.calendar import SHANGHAI
from supervision.domain.views import Light, LightFilter, mask_name, query_code_matches, strongest_lights


def light(case: str, target: str, level: str, post: str = "gs-city/approval-section/reviewer", day: int = 2) -> Light:
    at = datetime(2026, 11, day, 10, tzinfo=SHANGHAI)
    return Light(case, target, "handle" if target != "case" else "", post, post.split("/")[0], level, at, at)


LEADER = "gs-city/leadership/leader"
RAISED = [
    light("GS-1", "case", "prompt"), light("GS-1", "case", "yellow"), light("GS-1", "t1", "prompt"),
    light("GS-2", "t2", "prompt", LEADER), light("GS-2", "t2", "yellow", LEADER),
    light("GS-2", "t2", "red", LEADER, day=1),
    light("HZ-1", "case", "red", "hz-land/approval-section/reviewer"),
]


def test_each_case_and_stage_shows_only_its_strongest_light_red_first() -> None:
    shown = [(x.case_number, x.target, x.level) for x in strongest_lights(RAISED, LightFilter())]
    assert shown == [("GS-2", "t2", "red"), ("HZ-1", "case", "red"), ("GS-1", "case", "yellow"),
                     ("GS-1", "t1", "prompt")]


def test_the_board_narrows_to_a_tenant_a_department_a_post_or_a_colour() -> None:
    def cases(only: LightFilter) -> set[tuple[str, str]]:
        return {(x.case_number, x.target) for x in strongest_lights(RAISED, only)}

    assert cases(LightFilter(tenant="gs-city")) == {("GS-1", "case"), ("GS-1", "t1"), ("GS-2", "t2")}
    assert cases(LightFilter(tenant="gs-city", department="leadership")) == {("GS-2", "t2")}
    assert cases(LightFilter(post="gs-city/approval-section/reviewer")) == {("GS-1", "case"), ("GS-1", "t1")}
    assert cases(LightFilter(level="red")) == {("GS-2", "t2"), ("HZ-1", "case")}
    assert cases(LightFilter(tenant="gs-city", level="prompt")) == {("GS-1", "t1")}


def test_a_complaint_without_a_code_matches_nothing_and_names_are_masked() -> None:
    assert query_code_matches("123456", "123456")
    assert not query_code_matches("123456", "123457")
    assert not query_code_matches("", "")
    assert mask_name("王芳") == "王*" and mask_name("欧阳娜娜") == "欧***" and mask_name("李") == "李*"
