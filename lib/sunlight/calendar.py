"""The working-day calendar every service counts limits with.

Law and practice (see MISSION.md): limits in working days (工作日) exclude statutory holidays and
follow the State Council schedule including make-up working weekends (调休); the day a period starts
is not counted; a limit ends at the close of office hours on its last working day; hour-scale limits
count office hours only. Business time is Asia/Shanghai whatever the server's zone: instants are
timezone-aware datetimes, computed in local time.

Where a year's schedule comes from, first match wins:

1. an override file entry with ``complete: true`` (:mod:`sunlight.calendar_overrides`);
2. ``chinesecalendar``, the official State Council schedules (2004–2026 in 1.11.0);
3. for a later year up to ``provisional_through``: the PROVISIONAL schedule from the holiday law
   alone (:mod:`sunlight.statutory`; no make-up working weekends, which only the notice can give).
   :meth:`WorkingCalendar.provisional_years` names these years, and every service warns about them
   and exports them as a metric until the notice is added to the override file.

An entry with ``complete: false`` changes the listed days of schedule 2 or 3. Any other year (before
the package's first, or beyond the provisional horizon) raises :class:`CalendarUnknownYear`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar

from sunlight import statutory
from sunlight.calendar_overrides import YearSchedule, load_overrides
from sunlight.errors import CalendarUnknownYear, ValidationFailed

__all__ = ["DEFAULT_OFFICE_HOURS", "PACKAGE_YEARS", "PROVISIONAL_YEARS_AHEAD", "SHANGHAI", "SHIPPED_OVERRIDES",
           "WorkingCalendar", "YearSchedule", "load_overrides"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_OFFICE_HOURS: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 0)),
    (time(13, 30), time(17, 30)),
)
SHIPPED_OVERRIDES = Path(__file__).parent / "data" / "calendar-overrides.yml"
OVERRIDES_ENV_VAR = "CALENDAR_OVERRIDES"
# How far past the current year the default calendar answers provisionally: working-day limits end
# within weeks or months, so a date further ahead is a mistake to refuse, not a year to guess.
PROVISIONAL_YEARS_AHEAD = 3

_PACKAGE_HOLIDAYS: Mapping[date, Any] = chinese_calendar.constants.holidays
PACKAGE_YEARS: tuple[int, int] = (
    min(_PACKAGE_HOLIDAYS).year,
    max(_PACKAGE_HOLIDAYS).year,
)


# --- the calendar ------------------------------------------------------------------------------


class WorkingCalendar:
    """Working days and office hours in one business time zone, from the official schedule."""

    def __init__(
        self,
        overrides: Mapping[int, YearSchedule] | None = None,
        office_hours: Sequence[tuple[time, time]] = DEFAULT_OFFICE_HOURS,
        tz: ZoneInfo = SHANGHAI,
        provisional_through: int | None = None,
    ) -> None:
        """provisional_through: the last year the law-only rule may answer (None: never guess)."""
        self._overrides: dict[int, YearSchedule] = dict(overrides or {})
        self._office_hours = _validated_office_hours(office_hours)
        self._tz = tz
        self._provisional_through = provisional_through
        self._provisional_years = self._years_without_schedule(provisional_through)
        self._working_day_cache: dict[date, bool] = {}
        self._provisional_cache: dict[int, frozenset[date]] = {}
        self._periods_cache: dict[date, tuple[tuple[datetime, datetime], ...]] = {}

    @classmethod
    def default(cls, today: date | None = None) -> WorkingCalendar:
        """The calendar from the shipped override file plus $CALENDAR_OVERRIDES (later wins).

        Years after the package's last, up to PROVISIONAL_YEARS_AHEAD past today's, are answered
        provisionally from the holiday law until their notice is added to an override file.
        """
        overrides = load_overrides(SHIPPED_OVERRIDES)
        extra = os.environ.get(OVERRIDES_ENV_VAR)
        if extra:
            overrides.update(load_overrides(extra))
        this_year = (today or datetime.now(SHANGHAI).date()).year
        return cls(overrides, provisional_through=this_year + PROVISIONAL_YEARS_AHEAD)

    def provisional_years(self) -> tuple[int, ...]:
        """The years answered by the law-only rule: no official schedule and no complete override."""
        return self._provisional_years

    @property
    def tz(self) -> ZoneInfo:
        """The business time zone."""
        return self._tz

    @property
    def office_hours(self) -> tuple[tuple[time, time], ...]:
        """The office periods of a working day, in local time."""
        return self._office_hours

    def is_working_day(self, day: date) -> bool:
        """Whether offices are open on this local date; unknown years raise CalendarUnknownYear."""
        if isinstance(day, datetime):
            raise ValidationFailed("is_working_day takes a date, not a datetime",
                                   fields={"day": [repr(day)]})
        cached = self._working_day_cache.get(day)
        if cached is None:
            cached = self._working_day_cache[day] = self._compute_working_day(day)
        return cached

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after start (start itself not counted); n == 0 returns start."""
        if n < 0:
            raise ValueError(f"n must be zero or more, got {n}")
        day = start
        while n > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                n -= 1
        return day

    def deadline(self, start: datetime, working_days: int) -> datetime:
        """Close of office hours on the n-th working day after start's local date."""
        local_start = self._local(start, "start")
        last_day = self.add_working_days(local_start.date(), working_days)
        return datetime.combine(last_day, self._office_hours[-1][1], tzinfo=self._tz)

    def add_working_hours(self, start: datetime, hours: timedelta) -> datetime:
        """The instant after spending `hours` of office time from start, in the business zone."""
        if hours < timedelta(0):
            raise ValueError(f"hours must be zero or more, got {hours}")
        cursor = self._local(start, "start")
        if hours == timedelta(0):
            return cursor
        remaining = hours
        for opens, closes in self._office_periods_from(cursor.date()):
            begin = max(cursor, opens)
            if begin >= closes:
                continue
            if remaining <= closes - begin:
                return begin + remaining
            remaining -= closes - begin
        raise AssertionError("unreachable: office periods never run out")  # pragma: no cover

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Office time elapsed between two instants (zero if end is not after start)."""
        local_start = self._local(start, "start")
        local_end = self._local(end, "end")
        elapsed = timedelta(0)
        if local_end <= local_start:
            return elapsed
        day = local_start.date()
        # both ends on one day (what supervision asks on every event of a fresh case): that day's periods only
        periods = self._periods_of(day) if local_end.date() == day else self._office_periods_from(day)
        for opens, closes in periods:
            if opens >= local_end:
                break
            overlap = min(closes, local_end) - max(opens, local_start)
            if overlap > timedelta(0):
                elapsed += overlap
        return elapsed

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days fall in (start, end]; zero if end is not after start."""
        count = 0
        day = start + timedelta(days=1)
        while day <= end:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return count

    # -- helpers ---------------------------------------------------------------------------------

    def _compute_working_day(self, day: date) -> bool:
        schedule = self._overrides.get(day.year)
        if schedule is not None and schedule.complete:
            return day in schedule.workdays or (
                day.weekday() < 5 and day not in schedule.holidays)
        base = self._base_working_day(day, schedule)
        if schedule is not None:
            if day in schedule.holidays:
                return False
            if day in schedule.workdays:
                return True
        return base

    def _base_working_day(self, day: date, schedule: YearSchedule | None) -> bool:
        """The official answer, else the provisional one, else CalendarUnknownYear."""
        first, last = PACKAGE_YEARS
        if first <= day.year <= last:
            return bool(chinese_calendar.is_workday(day))
        if day.year in self._provisional_years:
            return day.weekday() < 5 and day not in self._provisional_holidays(day.year)
        raise _unknown_year(day, schedule, self._provisional_through)

    def _provisional_holidays(self, year: int) -> frozenset[date]:
        holidays = self._provisional_cache.get(year)
        if holidays is None:
            holidays = self._provisional_cache[year] = statutory.provisional_holidays(year)
        return holidays

    def _years_without_schedule(self, through: int | None) -> tuple[int, ...]:
        if through is None:
            return ()
        return tuple(year for year in range(PACKAGE_YEARS[1] + 1, through + 1)
                     if not (year in self._overrides and self._overrides[year].complete))

    def _local(self, instant: datetime, name: str) -> datetime:
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValidationFailed(
                f"{name} must be a timezone-aware datetime (store UTC), got naive {instant}",
                fields={name: ["naive datetime; attach a time zone, e.g. UTC"]})
        return instant.astimezone(self._tz)

    def _office_periods_from(self, first_day: date) -> Iterator[tuple[datetime, datetime]]:
        """Every office period from first_day on, as local aware datetimes."""
        day = first_day
        while True:
            yield from self._periods_of(day)
            day += timedelta(days=1)

    def _periods_of(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """One day's office periods (none on a day off), built once per day: every deadline walks them."""
        periods = self._periods_cache.get(day)
        if periods is None:
            periods = tuple(
                (datetime.combine(day, opens, tzinfo=self._tz), datetime.combine(day, closes, tzinfo=self._tz))
                for opens, closes in self._office_hours) if self.is_working_day(day) else ()
            self._periods_cache[day] = periods
        return periods


def _validated_office_hours(
    office_hours: Sequence[tuple[time, time]],
) -> tuple[tuple[time, time], ...]:
    periods = tuple((opens, closes) for opens, closes in office_hours)
    problems: list[str] = []
    if not periods:
        problems.append("at least one office period is needed")
    previous_close: time | None = None
    for opens, closes in periods:
        if opens.tzinfo is not None or closes.tzinfo is not None:
            problems.append(f"{opens}–{closes}: use local wall-clock times without a zone")
        if opens >= closes:
            problems.append(f"{opens}–{closes}: a period must close after it opens")
        if previous_close is not None and opens < previous_close:
            problems.append(f"{opens}–{closes}: periods must be in order and must not overlap")
        previous_close = closes
    if problems:
        raise ValidationFailed("invalid office hours: " + "; ".join(problems),
                               fields={"office_hours": problems})
    return periods


def _unknown_year(day: date, schedule: YearSchedule | None,
                  provisional_through: int | None) -> CalendarUnknownYear:
    year = day.year
    first, last = PACKAGE_YEARS
    partial = (f"; the override for {year} lists local changes only (complete: false)"
               if schedule is not None else "")
    provisional = (f" and the provisional holiday rule covers {last + 1}–{provisional_through}"
                   if provisional_through is not None and provisional_through > last else "")
    return CalendarUnknownYear(
        f"no working-day schedule for {year}: chinesecalendar knows {first}–{last}{provisional}{partial}; "
        f"add year {year} with complete: true to the calendar override file "
        f"({OVERRIDES_ENV_VAR}, e.g. lib/sunlight/data/calendar-overrides.yml)",
        fields={"year": year, "date": day.isoformat()},
    )
