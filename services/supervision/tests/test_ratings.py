"""每事一卡: a completed case is rated once on five levels; the two lowest open a rectification due in
five working days (real 2026 calendar). The query code is proved with intake before (service.py)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from sunlight.calendar import SHANGHAI, WorkingCalendar
from sunlight.contracts import RATING_RECEIVED, Event
from sunlight.errors import Conflict, ValidationFailed
from supervision.domain.clocks import CaseClock
from supervision.domain.ratings import rate

CALENDAR = WorkingCalendar.default()
NOW = datetime(2026, 9, 29, 10, 0, tzinfo=SHANGHAI)  # a Tuesday, just before National Day
DONE = CaseClock(case_number="GS-2026-000001", tenant="gs-city", item_code="GS-CG-0201", item_name="户外招牌设置审批",
                 applicant_name="王芳", accepted_at=datetime(2026, 9, 21, 9, tzinfo=SHANGHAI),
                 promised_date=date(2026, 9, 28),
                 outcome="approved", closed_at=datetime(2026, 9, 25, 16, tzinfo=SHANGHAI))


def rating(level: object = 5, *, clock: CaseClock = DONE, already: bool = False, comment: str = "") -> tuple:
    return rate(clock, level=level, comment=comment, now=NOW, calendar=CALENDAR, already_rated=already)


def test_a_good_rating_is_recorded_and_announced_without_rectification() -> None:
    made, event = rating(4, comment="窗口服务热情")
    assert (made.level, made.rectification_due, made.comment) == (4, None, "窗口服务热情")
    received = Event.from_message(event.to_message())
    assert received.event_type == RATING_RECEIVED and received.payload["bad"] is False


def test_a_bad_rating_opens_a_rectification_due_five_working_days_later_across_national_day() -> None:
    made, event = rating(2, comment="等了太久")
    # 29 Sep + 5 working days: 30 Sep, then 1–8 Oct are the 2026 National Day holiday (Sat 10 Oct is worked)
    assert made.rectification_due == CALENDAR.deadline(NOW, 5)
    assert made.rectification_due is not None and made.rectification_due.astimezone(SHANGHAI).date().month == 10
    assert made.rectification_due.astimezone(SHANGHAI).date().day > 8
    assert Event.from_message(event.to_message()).payload["bad"] is True


@pytest.mark.parametrize("level", [0, 6, "5", 4.5, True, None])
def test_only_the_five_levels_are_accepted(level: object) -> None:
    with pytest.raises(ValidationFailed) as refused:
        rating(level)
    assert "level" in refused.value.fields


def test_a_case_is_rated_once_and_only_once_it_is_completed() -> None:
    with pytest.raises(Conflict, match="already been rated"):
        rating(5, already=True)
    open_case = CaseClock(**{**DONE.__dict__, "closed_at": None, "outcome": ""})
    with pytest.raises(Conflict, match="not completed"):
        rating(5, clock=open_case)


def test_a_case_whose_acceptance_supervision_has_not_recorded_yet_is_not_completed_yet() -> None:
    # the code was proved with intake first (service.py), so the application is real: rated just after
    # submitting, or while supervision catches up, it is "not completed", never "no such application"
    with pytest.raises(Conflict, match="GS-2026-999999 is not completed yet") as early:
        rating(5, clock=CaseClock(case_number="GS-2026-999999"))
    assert early.value.fields == {"application_number": ["not completed"]}
