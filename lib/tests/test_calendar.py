"""The working-day calendar against the State Council schedules of 2025 and 2026.

Dates checked against chinesecalendar 1.11.0 and the official notices:
- Spring Festival 2025: off Jan 28 – Feb 4; make-up working days Sun Jan 26 and Sat Feb 8.
- National Day 2025 (with Mid-Autumn): off Oct 1 – 8; make-up Sun Sep 28 and Sat Oct 11.
- Spring Festival 2026: off Feb 15 – 23; make-up Sat Feb 14 and Sat Feb 28.
- National Day 2026: off Oct 1 – 7; make-up Sun Sep 20 and Sat Oct 10.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from sunlight.calendar import (
    DEFAULT_OFFICE_HOURS,
    SHANGHAI,
    SHIPPED_OVERRIDES,
    WorkingCalendar,
    YearSchedule,
    load_overrides,
)
from sunlight.errors import CalendarUnknownYear, ValidationFailed

CALENDAR = WorkingCalendar()


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "calendar-overrides.yml"
    path.write_text(text, encoding="utf-8")
    return path


OVERRIDES_2027 = """
years:
  2027:
    complete: true
    holidays:
      - 2027-01-01
      - "2027-02-05..2027-02-11"
    workdays: [2027-02-14]
"""


# --- working days: the official schedule ------------------------------------------------------


def test_spring_festival_2025_is_off_jan_28_to_feb_4_and_its_make_up_weekend_days_work() -> None:
    for offset in range(8):
        assert not CALENDAR.is_working_day(date(2025, 1, 28) + timedelta(days=offset))
    assert CALENDAR.is_working_day(date(2025, 1, 26))  # Sunday, make-up day
    assert CALENDAR.is_working_day(date(2025, 2, 8))  # Saturday, make-up day
    assert CALENDAR.is_working_day(date(2025, 1, 27))
    assert CALENDAR.is_working_day(date(2025, 2, 5))
    assert not CALENDAR.is_working_day(date(2025, 1, 25))  # an ordinary Saturday
    assert not CALENDAR.is_working_day(date(2025, 2, 9))  # an ordinary Sunday


def test_national_day_2025_is_off_from_oct_1_to_oct_8_and_the_make_up_weekend_days_work() -> None:
    for offset in range(8):
        assert not CALENDAR.is_working_day(date(2025, 10, 1) + timedelta(days=offset))
    assert CALENDAR.is_working_day(date(2025, 9, 28))  # Sunday, make-up day
    assert CALENDAR.is_working_day(date(2025, 10, 11))  # Saturday, make-up day
    assert CALENDAR.is_working_day(date(2025, 10, 9))


def test_spring_festival_2026_is_off_from_feb_15_to_feb_23_with_two_make_up_saturdays() -> None:
    for offset in range(9):
        assert not CALENDAR.is_working_day(date(2026, 2, 15) + timedelta(days=offset))
    assert CALENDAR.is_working_day(date(2026, 2, 14))  # Saturday, make-up day
    assert CALENDAR.is_working_day(date(2026, 2, 28))  # Saturday, make-up day
    assert CALENDAR.is_working_day(date(2026, 2, 24))


def test_national_day_2026_is_off_from_oct_1_to_oct_7_and_sep_20_and_oct_10_work() -> None:
    for offset in range(7):
        assert not CALENDAR.is_working_day(date(2026, 10, 1) + timedelta(days=offset))
    assert CALENDAR.is_working_day(date(2026, 9, 20))  # Sunday, make-up day
    assert CALENDAR.is_working_day(date(2026, 10, 10))  # Saturday, make-up day
    assert CALENDAR.is_working_day(date(2026, 10, 8))


def test_a_five_day_limit_started_before_spring_festival_2026_ends_after_the_holiday_and_counts_the_make_up_saturday() -> None:  # noqa: E501
    # Accepted Thu Feb 12: Fri 13 (1), Sat 14 make-up (2), Feb 15-23 off,
    # Tue 24 (3), Wed 25 (4), Thu 26 (5).
    assert CALENDAR.add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 26)
    assert CALENDAR.deadline(local(2026, 2, 12, 10), 5) == local(2026, 2, 26, 17, 30)


def test_a_limit_started_just_before_spring_festival_2025_counts_the_make_up_sunday_first() -> None:
    # Accepted Sat Jan 25: Sun 26 make-up (1), Mon 27 (2), Jan 28 - Feb 4 off, Wed Feb 5 (3).
    assert CALENDAR.add_working_days(date(2025, 1, 25), 1) == date(2025, 1, 26)
    assert CALENDAR.add_working_days(date(2025, 1, 25), 3) == date(2025, 2, 5)


def test_a_four_day_limit_started_before_national_day_2025_ends_on_the_make_up_saturday() -> None:
    # Accepted Mon Sep 29: Tue 30 (1), Oct 1-8 off, Thu Oct 9 (2), Fri 10 (3), Sat 11 make-up (4).
    assert CALENDAR.add_working_days(date(2025, 9, 29), 3) == date(2025, 10, 10)
    assert CALENDAR.deadline(local(2025, 9, 29, 16), 4) == local(2025, 10, 11, 17, 30)


def test_a_two_day_limit_started_the_day_before_national_day_2026_ends_on_oct_9() -> None:
    assert CALENDAR.add_working_days(date(2026, 9, 30), 2) == date(2026, 10, 9)
    assert CALENDAR.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert CALENDAR.add_working_days(date(2026, 9, 19), 1) == date(2026, 9, 20)


def test_the_day_a_period_starts_is_not_counted_and_zero_days_is_the_start_day() -> None:
    assert CALENDAR.add_working_days(date(2026, 3, 2), 1) == date(2026, 3, 3)
    assert CALENDAR.add_working_days(date(2026, 3, 7), 0) == date(2026, 3, 7)
    with pytest.raises(ValueError, match="zero or more"):
        CALENDAR.add_working_days(date(2026, 3, 2), -1)


def test_working_days_between_counts_the_end_day_but_not_the_start_day_across_spring_festival_2025() -> None:  # noqa: E501
    # (Fri Jan 24, Mon Feb 10]: Jan 26, 27, Feb 5, 6, 7, 8 (make-up Saturday), 10.
    assert CALENDAR.working_days_between(date(2025, 1, 24), date(2025, 2, 10)) == 7
    assert CALENDAR.working_days_between(date(2025, 2, 10), date(2025, 2, 10)) == 0
    assert CALENDAR.working_days_between(date(2025, 2, 10), date(2025, 1, 24)) == 0


def test_a_thirty_working_day_registration_started_in_december_2025_spans_new_year_2026() -> None:
    # 12 working days left in December; Jan 1-3 2026 off, Sun Jan 4 a make-up day (13th).
    last = CALENDAR.add_working_days(date(2025, 12, 15), 30)
    assert CALENDAR.working_days_between(date(2025, 12, 15), last) == 30
    assert last == date(2026, 1, 27)


# --- deadlines and the business time zone ------------------------------------------------------


def test_a_deadline_is_the_close_of_office_hours_in_shanghai_returned_in_shanghai_time() -> None:
    due = CALENDAR.deadline(local(2026, 3, 2, 9), 1)
    assert due == local(2026, 3, 3, 17, 30)
    assert due.tzinfo is SHANGHAI
    assert due.astimezone(UTC) == datetime(2026, 3, 3, 9, 30, tzinfo=UTC)


def test_a_utc_instant_late_on_sunday_is_monday_in_shanghai_so_counting_starts_tuesday() -> None:
    # 2026-03-01T17:00Z is Monday 01:00 in Shanghai: Monday is the start day, not counted.
    assert CALENDAR.deadline(datetime(2026, 3, 1, 17, tzinfo=UTC), 1) == local(2026, 3, 3, 17, 30)


def test_a_utc_instant_is_read_in_shanghai_time_0100z_is_0900_local() -> None:
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert CALENDAR.add_working_hours(start, timedelta(hours=1)) == local(2026, 3, 2, 10)
    end = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # 12:00 local
    assert CALENDAR.working_time_between(start, end) == timedelta(hours=3)


def test_naive_datetimes_are_refused_everywhere() -> None:
    naive = datetime(2026, 3, 2, 9)
    aware = local(2026, 3, 2, 9)
    with pytest.raises(ValidationFailed, match="timezone-aware"):
        CALENDAR.deadline(naive, 1)
    with pytest.raises(ValidationFailed, match="timezone-aware"):
        CALENDAR.add_working_hours(naive, timedelta(hours=1))
    with pytest.raises(ValidationFailed, match="end must be a timezone-aware"):
        CALENDAR.working_time_between(aware, naive)
    with pytest.raises(ValidationFailed, match="not a datetime"):
        CALENDAR.is_working_day(aware)


# --- working hours -----------------------------------------------------------------------------


def test_two_office_hours_from_eleven_skip_the_lunch_break() -> None:
    assert CALENDAR.add_working_hours(local(2026, 3, 2, 11), timedelta(hours=2)) == local(
        2026, 3, 2, 14, 30)
    assert CALENDAR.working_time_between(
        local(2026, 3, 2, 11), local(2026, 3, 2, 14, 30)) == timedelta(hours=2)


def test_an_hour_from_five_pm_continues_the_next_morning() -> None:
    assert CALENDAR.add_working_hours(local(2026, 3, 2, 17), timedelta(hours=1)) == local(
        2026, 3, 3, 9)
    assert CALENDAR.working_time_between(
        local(2026, 3, 2, 17), local(2026, 3, 3, 9)) == timedelta(hours=1)


def test_an_hour_from_friday_five_pm_continues_on_monday_morning() -> None:
    assert CALENDAR.add_working_hours(local(2026, 3, 6, 17), timedelta(hours=1)) == local(
        2026, 3, 9, 9)
    assert CALENDAR.working_time_between(
        local(2026, 3, 6, 17), local(2026, 3, 9, 9)) == timedelta(hours=1)


def test_an_hour_from_the_eve_of_national_day_2026_continues_after_the_holiday() -> None:
    assert CALENDAR.add_working_hours(local(2026, 9, 30, 17), timedelta(hours=1)) == local(
        2026, 10, 8, 9)
    assert CALENDAR.working_time_between(
        local(2026, 9, 30, 17), local(2026, 10, 8, 9)) == timedelta(hours=1)


def test_hours_spent_before_spring_festival_2026_resume_on_the_make_up_saturday() -> None:
    assert CALENDAR.add_working_hours(local(2026, 2, 13, 17), timedelta(hours=1)) == local(
        2026, 2, 14, 9)
    assert CALENDAR.add_working_hours(local(2026, 2, 14, 17), timedelta(hours=1)) == local(
        2026, 2, 24, 9)


def test_work_started_outside_office_hours_begins_at_the_next_office_period() -> None:
    half_hour = timedelta(minutes=30)
    assert CALENDAR.add_working_hours(local(2026, 3, 2, 7), half_hour) == local(2026, 3, 2, 9)
    assert CALENDAR.add_working_hours(local(2026, 3, 2, 12, 30), half_hour) == local(
        2026, 3, 2, 14)
    assert CALENDAR.add_working_hours(local(2026, 3, 7, 10), half_hour) == local(2026, 3, 9, 9)
    assert CALENDAR.working_time_between(
        local(2026, 3, 7, 10), local(2026, 3, 8, 16)) == timedelta(0)


def test_hours_that_fill_the_afternoon_end_at_the_close_not_the_next_morning() -> None:
    assert CALENDAR.add_working_hours(local(2026, 3, 2, 16, 30), timedelta(hours=1)) == local(
        2026, 3, 2, 17, 30)
    assert CALENDAR.add_working_hours(local(2026, 3, 2, 9), timedelta(0)) == local(2026, 3, 2, 9)


def test_a_working_week_holds_thirty_seven_and_a_half_office_hours() -> None:
    assert CALENDAR.working_time_between(
        local(2026, 3, 2), local(2026, 3, 9)) == timedelta(hours=37, minutes=30)
    assert CALENDAR.working_time_between(local(2026, 3, 9), local(2026, 3, 2)) == timedelta(0)


def test_office_hours_are_configurable_per_tenant() -> None:
    nine_to_five = WorkingCalendar(office_hours=[(time(9), time(17))])
    assert nine_to_five.deadline(local(2026, 3, 2, 9), 1) == local(2026, 3, 3, 17)
    assert nine_to_five.add_working_hours(local(2026, 3, 2, 16), timedelta(hours=2)) == local(
        2026, 3, 3, 10)
    assert CALENDAR.office_hours == DEFAULT_OFFICE_HOURS


def test_overlapping_or_backwards_office_hours_are_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        WorkingCalendar(office_hours=[(time(9), time(12)), (time(11), time(10))])
    problems = refused.value.fields["office_hours"]
    assert len(problems) == 2
    with pytest.raises(ValidationFailed, match="at least one"):
        WorkingCalendar(office_hours=[])


# --- years the package does not know (a calendar built without provisional_through never guesses)


def test_a_date_in_2027_raises_calendar_unknown_year_naming_the_year_and_the_file() -> None:
    with pytest.raises(CalendarUnknownYear) as unknown:
        CALENDAR.is_working_day(date(2027, 3, 1))
    message = unknown.value.message
    assert "2027" in message
    assert "2004–2026" in message
    assert "CALENDAR_OVERRIDES" in message
    assert "calendar-overrides.yml" in message
    assert unknown.value.fields["year"] == 2027


def test_a_limit_running_into_2027_raises_rather_than_guessing() -> None:
    with pytest.raises(CalendarUnknownYear, match="2027"):
        CALENDAR.add_working_days(date(2026, 12, 30), 5)
    with pytest.raises(CalendarUnknownYear, match="2027"):
        CALENDAR.add_working_hours(local(2026, 12, 31, 17), timedelta(hours=1))


def test_an_override_file_makes_2027_work(tmp_path: Path) -> None:
    calendar = WorkingCalendar(load_overrides(write(tmp_path, OVERRIDES_2027)))
    assert not calendar.is_working_day(date(2027, 1, 1))
    assert not calendar.is_working_day(date(2027, 2, 8))  # inside the range
    assert calendar.is_working_day(date(2027, 2, 14))  # Sunday, make-up day
    assert calendar.is_working_day(date(2027, 3, 1))
    assert not calendar.is_working_day(date(2027, 3, 6))  # an ordinary Saturday
    # Thu Dec 31 2026: Jan 1 off, Jan 2-3 weekend, Mon Jan 4 is the first working day.
    assert calendar.deadline(local(2026, 12, 31, 10), 1) == local(2027, 1, 4, 17, 30)
    assert calendar.add_working_days(date(2027, 2, 4), 2) == date(2027, 2, 14)


def test_default_calendar_reads_the_shipped_file_and_then_the_calendar_overrides_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CALENDAR_OVERRIDES", raising=False)
    shipped_only = WorkingCalendar.default(today=date(2026, 11, 27))
    assert 2027 in shipped_only.provisional_years()
    assert not shipped_only.is_working_day(date(2027, 2, 14))  # a Sunday: the law alone knows no 调休
    monkeypatch.setenv("CALENDAR_OVERRIDES", str(write(tmp_path, OVERRIDES_2027)))
    with_notice = WorkingCalendar.default(today=date(2026, 11, 27))
    assert 2027 not in with_notice.provisional_years()
    assert with_notice.is_working_day(date(2027, 2, 14))


def test_the_shipped_override_file_is_valid_and_claims_no_year() -> None:
    assert load_overrides(SHIPPED_OVERRIDES) == {}


def test_a_partial_override_changes_only_the_listed_days_of_a_known_year() -> None:
    local_changes = YearSchedule(year=2026, holidays=frozenset({date(2026, 3, 2)}),
                                 workdays=frozenset({date(2026, 3, 7)}), complete=False)
    calendar = WorkingCalendar({2026: local_changes})
    assert not calendar.is_working_day(date(2026, 3, 2))
    assert calendar.is_working_day(date(2026, 3, 7))
    assert not calendar.is_working_day(date(2026, 2, 16))  # the package still rules the rest
    assert calendar.is_working_day(date(2026, 2, 14))


def test_a_partial_override_of_2027_is_not_enough_and_says_complete_true_is_needed() -> None:
    partial = YearSchedule(year=2027, holidays=frozenset({date(2027, 1, 1)}),
                           workdays=frozenset(), complete=False)
    with pytest.raises(CalendarUnknownYear, match="complete: true"):
        WorkingCalendar({2027: partial}).is_working_day(date(2027, 3, 1))


def test_a_bad_override_file_lists_every_error_with_year_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, """
years:
  2027:
    holidays: [2027-01-01, 2028-01-01, "2027-02-30", "2027-02-11..2027-02-05"]
    workdays: [2027-01-01]
  2028:
    complete: true
    workdays: [2028-03-01]
    holyday: [2028-01-01]
  twenty: {complete: true}
""")
    with pytest.raises(ValidationFailed) as refused:
        load_overrides(path)
    fields = refused.value.fields
    assert set(fields) == {
        "years.2027.complete",
        "years.2027.holidays",
        "years.2027.workdays",
        "years.2028.workdays",
        "years.2028.holyday",
        "years.twenty",
    }
    assert len(fields["years.2027.holidays"]) == 3
    message = refused.value.message
    for expected in ("2028-01-01 is not in 2027", "'2027-02-30'", "range ends before it starts",
                     "2027-01-01 is also listed as a holiday", "2028-03-01 is a Wednesday",
                     "years.2028.holyday", "years.twenty"):
        assert expected in message


def test_an_override_file_that_is_missing_or_not_yaml_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="cannot read calendar override file"):
        load_overrides(tmp_path / "nowhere.yml")
    with pytest.raises(ValidationFailed, match="not valid YAML"):
        load_overrides(write(tmp_path, "years: [unclosed"))
