"""信访: a complaint is numbered, routed to the petition office with three working days, lit like a case,
and resolved once by its handler (real 2026 calendar)."""

from __future__ import annotations

from datetime import datetime

import pytest

from sunlight.calendar import SHANGHAI, WorkingCalendar
from sunlight.errors import Conflict, Forbidden
from supervision.domain.complaints import complaint_number, file, is_late, resolve, standing

CALENDAR = WorkingCalendar.default()


def at(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def test_a_complaint_is_numbered_routed_and_due_in_three_working_days_across_a_holiday() -> None:
    assert complaint_number("GS", 2026, 1) == "GS-XF-2026-000001"
    filed = file("GS-XF-2026-000001", "gs-city", at(9, 30, 10), CALENDAR)  # the eve of National Day
    assert filed.handler_post == "gs-city/petition-office/handler"
    assert filed.deadline == CALENDAR.deadline(at(9, 30, 10), 3)
    assert filed.deadline.date() > at(10, 8, 0).date()  # 1–8 October are not working days


def test_it_stands_by_the_lights_raised_on_it_and_a_late_answer_stays_late() -> None:
    filed = file("GS-XF-2026-000002", "gs-city", at(11, 2, 10), CALENDAR)  # due Thu 5 Nov 17:30
    assert filed.deadline == datetime(2026, 11, 5, 17, 30, tzinfo=SHANGHAI)
    assert standing([], resolved=False) == "green" and standing(["prompt"], resolved=False) == "prompt"
    assert standing(["prompt", "yellow"], resolved=False) == "yellow"
    assert standing(["prompt", "yellow", "red"], resolved=True) == "red"
    assert standing(["prompt"], resolved=True) == "done"
    assert not is_late(resolve(filed, filed.handler_post, at(11, 4, 9)))
    assert is_late(resolve(filed, filed.handler_post, at(11, 6, 9)))


def test_only_the_handler_resolves_and_only_once() -> None:
    filed = file("GS-XF-2026-000003", "gs-city", at(11, 2, 10), CALENDAR)
    with pytest.raises(Forbidden):
        resolve(filed, "gs-city/approval-section/reviewer", at(11, 3, 9))
    done = resolve(filed, filed.handler_post, at(11, 3, 9))
    with pytest.raises(Conflict, match="already resolved"):
        resolve(done, filed.handler_post, at(11, 3, 10))
