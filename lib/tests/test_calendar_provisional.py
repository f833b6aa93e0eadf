"""Years with no official schedule yet: the default calendar answers from the holiday law, and says so.

Today is 2026-11-27: chinesecalendar knows up to 2026 and the State Council has not published the
2027 notice, yet a 20-working-day item accepted in mid-December ends in January 2027.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from sunlight.calendar import PROVISIONAL_YEARS_AHEAD, SHANGHAI, WorkingCalendar, YearSchedule, load_overrides
from sunlight.errors import CalendarUnknownYear
from sunlight.metrics import report_provisional_calendar

TODAY = date(2026, 11, 27)


@pytest.fixture
def calendar(monkeypatch: pytest.MonkeyPatch) -> WorkingCalendar:
    monkeypatch.delenv("CALENDAR_OVERRIDES", raising=False)
    return WorkingCalendar.default(today=TODAY)


def local(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=SHANGHAI)


def test_the_default_calendar_names_the_years_it_answers_provisionally(calendar: WorkingCalendar) -> None:
    assert calendar.provisional_years() == tuple(range(2027, 2026 + PROVISIONAL_YEARS_AHEAD + 1))
    assert WorkingCalendar().provisional_years() == ()  # built without a horizon: never guesses


def test_a_20_working_day_item_accepted_mid_december_gets_a_promised_date_in_january(
    calendar: WorkingCalendar,
) -> None:
    # Tue Dec 15 2026 + 20 working days: 12 left in December, Jan 1 off, then Jan 4–13.
    assert calendar.add_working_days(date(2026, 12, 15), 20) == date(2027, 1, 13)
    assert calendar.deadline(local(2026, 12, 15, 10), 20) == datetime(2027, 1, 13, 17, 30, tzinfo=SHANGHAI)


def test_a_deadline_across_the_2027_spring_festival_skips_the_holiday_and_its_given_back_days(
    calendar: WorkingCalendar,
) -> None:
    # 除夕 Fri Feb 5; 初一–初二 on the weekend; 初三 Mon Feb 8; given back Tue–Wed Feb 9–10.
    for day in (5, 6, 7, 8, 9, 10):
        assert not calendar.is_working_day(date(2027, 2, day))
    assert calendar.is_working_day(date(2027, 2, 4))
    assert calendar.is_working_day(date(2027, 2, 11))
    # Accepted Wed Feb 3, 5 working days: Thu Feb 4, then Thu Feb 11, Fri 12, Mon 15, Tue 16.
    assert calendar.deadline(local(2027, 2, 3, 9), 5) == datetime(2027, 2, 16, 17, 30, tzinfo=SHANGHAI)
    assert calendar.working_days_between(date(2027, 2, 1), date(2027, 2, 28)) == 15


def test_an_override_entry_for_the_year_always_wins_over_the_provisional_rule(tmp_path: Path) -> None:
    notice = tmp_path / "calendar-overrides.yml"
    notice.write_text('years:\n  2027:\n    complete: true\n    holidays: ["2027-02-05..2027-02-11"]\n'
                      "    workdays: [2027-02-14]\n", encoding="utf-8")
    official = WorkingCalendar(load_overrides(notice), provisional_through=2029)
    assert official.provisional_years() == (2028, 2029)
    assert not official.is_working_day(date(2027, 2, 11))  # off in the notice, not by the law alone
    assert official.is_working_day(date(2027, 2, 14))  # the notice's make-up Sunday
    assert official.is_working_day(date(2027, 1, 1))  # the notice's word is the whole year


def test_local_changes_apply_on_top_of_the_provisional_rule() -> None:
    local_changes = YearSchedule(year=2027, holidays=frozenset({date(2027, 3, 1)}),
                                 workdays=frozenset({date(2027, 2, 9)}), complete=False)
    calendar = WorkingCalendar({2027: local_changes}, provisional_through=2029)
    assert 2027 in calendar.provisional_years()  # still no official schedule for the year
    assert not calendar.is_working_day(date(2027, 3, 1))
    assert calendar.is_working_day(date(2027, 2, 9))
    assert not calendar.is_working_day(date(2027, 2, 8))


def test_a_year_beyond_the_horizon_or_before_the_package_still_raises(calendar: WorkingCalendar) -> None:
    with pytest.raises(CalendarUnknownYear) as too_far:
        calendar.is_working_day(date(2026 + PROVISIONAL_YEARS_AHEAD + 1, 3, 1))
    assert f"2027–{2026 + PROVISIONAL_YEARS_AHEAD}" in too_far.value.message
    with pytest.raises(CalendarUnknownYear, match="2003"):
        calendar.is_working_day(date(2003, 3, 3))


def test_a_service_warns_once_and_exports_each_provisional_year(
    calendar: WorkingCalendar, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="sunlight.metrics"):
        report_provisional_calendar("intake-test", calendar)
    [warning] = [r.getMessage() for r in caplog.records if "calendar" in r.getMessage()]
    assert "PROVISIONAL for 2027, 2028, 2029" in warning
    assert "CALENDAR_OVERRIDES" in warning and "complete: true" in warning
    for year in calendar.provisional_years():
        assert REGISTRY.get_sample_value(
            "sunlight_calendar_provisional_year", {"service": "intake-test", "year": str(year)}) == year


def test_a_calendar_with_every_year_official_says_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="sunlight.metrics"):
        report_provisional_calendar("registry-test", WorkingCalendar())
    assert not caplog.records
    assert REGISTRY.get_sample_value(
        "sunlight_calendar_provisional_year", {"service": "registry-test", "year": "2027"}) is None
