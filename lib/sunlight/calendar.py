"""The working-day calendar every service counts limits with.

Law and practice (see MISSION.md): limits in working days (工作日) exclude statutory holidays and
follow the State Council schedule including make-up working weekends (调休); the day a period starts
is not counted; a limit ends at the close of office hours on its last working day; hour-scale limits
count office hours only. Business time is Asia/Shanghai whatever the server's zone: instants are
timezone-aware datetimes, computed in local time.

The official schedule comes from ``chinesecalendar``. An override file adds years the package does
not know (``complete: true``) or local changes on top of it (``complete: false``). A date in a year
that neither covers raises :class:`CalendarUnknownYear`; the calendar never guesses.

Override file format (YAML)::

    years:
      2027:
        complete: true                 # required; true: this entry alone defines the year
        holidays:                      # days off, including the weekend days inside a holiday
          - 2027-01-01
          - 2027-02-05..2027-02-11     # an inclusive range, as a string "first..last"
        workdays: [2027-02-14]         # weekend days declared working days (调休)

With ``complete: true`` a day is a working day if it is listed in ``workdays``, or it is Monday to
Friday and not listed in ``holidays``. With ``complete: false`` the listed days change the package's
answer and every other day keeps it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml

from sunlight.errors import CalendarUnknownYear, ValidationFailed

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEFAULT_OFFICE_HOURS: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 0)),
    (time(13, 30), time(17, 30)),
)
SHIPPED_OVERRIDES = Path(__file__).parent / "data" / "calendar-overrides.yml"
OVERRIDES_ENV_VAR = "CALENDAR_OVERRIDES"

_PACKAGE_HOLIDAYS: Mapping[date, Any] = chinese_calendar.constants.holidays
PACKAGE_YEARS: tuple[int, int] = (
    min(_PACKAGE_HOLIDAYS).year,
    max(_PACKAGE_HOLIDAYS).year,
)
_RANGE_SEPARATOR = ".."
_MAX_RANGE_DAYS = 366


@dataclass(frozen=True)
class YearSchedule:
    """One year's override: explicit holidays and make-up working days."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]  # weekend days declared working days (调休)
    complete: bool  # True: this override fully defines the year (package not consulted)


# --- loading the override file ---------------------------------------------------------------


def load_overrides(path: str | Path) -> dict[int, YearSchedule]:
    """Read and validate an override file; a bad one raises ValidationFailed listing every error."""
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValidationFailed(
            f"cannot read calendar override file {path}: {error.strerror or error}",
            fields={"path": [str(error)]},
        ) from error
    except yaml.YAMLError as error:
        raise ValidationFailed(
            f"calendar override file {path} is not valid YAML: {error}",
            fields={"path": [str(error)]},
        ) from error
    errors: dict[str, list[str]] = {}
    schedules = _parse_document(document, errors)
    if errors:
        listing = "; ".join(f"{field}: {reason}" for field, reasons in errors.items()
                            for reason in reasons)
        raise ValidationFailed(f"calendar override file {path} is invalid: {listing}",
                               fields=errors)
    return schedules


def _parse_document(document: object, errors: dict[str, list[str]]) -> dict[int, YearSchedule]:
    if document is None:
        return {}
    if not isinstance(document, dict):
        errors.setdefault("file", []).append("must be a mapping with a 'years' key")
        return {}
    for key in document:
        if key != "years":
            errors.setdefault(str(key), []).append("unknown key; the only top-level key is 'years'")
    years = document.get("years")
    if years is None:
        return {}
    if not isinstance(years, dict):
        errors.setdefault("years", []).append("must be a mapping of year to schedule")
        return {}
    schedules: dict[int, YearSchedule] = {}
    for key, entry in years.items():
        year = _parse_year(key, errors)
        if year is None:
            continue
        if year in schedules:
            errors.setdefault(f"years.{year}", []).append("year listed twice")
            continue
        schedule = _parse_year_entry(year, entry, errors)
        if schedule is not None:
            schedules[year] = schedule
    return schedules


def _parse_year(key: object, errors: dict[str, list[str]]) -> int | None:
    if isinstance(key, bool) or not isinstance(key, int | str) or not str(key).isdigit():
        errors.setdefault(f"years.{key}", []).append("year must be a four-digit number")
        return None
    year = int(key)
    if not 1900 <= year <= 2999:
        errors.setdefault(f"years.{key}", []).append("year must be between 1900 and 2999")
        return None
    return year


def _parse_year_entry(
    year: int, entry: object, errors: dict[str, list[str]]
) -> YearSchedule | None:
    where = f"years.{year}"
    if not isinstance(entry, dict):
        errors.setdefault(where, []).append("must be a mapping with complete, holidays, workdays")
        return None
    for key in entry:
        if key not in ("complete", "holidays", "workdays"):
            errors.setdefault(f"{where}.{key}", []).append(
                "unknown key; expected complete, holidays, workdays")
    complete = entry.get("complete")
    if not isinstance(complete, bool):
        errors.setdefault(f"{where}.complete", []).append(
            "required, true or false (true: this entry alone defines the year; "
            "false: local changes on top of chinesecalendar)")
    holidays = _parse_dates(year, entry.get("holidays"), f"{where}.holidays", errors)
    workdays = _parse_dates(year, entry.get("workdays"), f"{where}.workdays", errors)
    for day in sorted(holidays & workdays):
        errors.setdefault(f"{where}.workdays", []).append(
            f"{day.isoformat()} is also listed as a holiday")
    if complete is True:
        for day in sorted(workdays):
            if day.weekday() < 5:
                errors.setdefault(f"{where}.workdays", []).append(
                    f"{day.isoformat()} is a {day:%A}, already a working day; "
                    "list only weekend days declared working days")
    if not isinstance(complete, bool):
        return None
    return YearSchedule(year=year, holidays=holidays, workdays=workdays, complete=complete)


def _parse_dates(
    year: int, value: object, field: str, errors: dict[str, list[str]]
) -> frozenset[date]:
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        errors.setdefault(field, []).append("must be a list of dates or 'first..last' ranges")
        return frozenset()
    days: set[date] = set()
    for item in value:
        try:
            parsed = _parse_date_item(item)
        except ValueError as error:
            errors.setdefault(field, []).append(f"{item!r}: {error}")
            continue
        outside = sorted(day for day in parsed if day.year != year)
        if outside:
            errors.setdefault(field, []).append(
                f"{outside[0].isoformat()} is not in {year}")
            continue
        days.update(parsed)
    return frozenset(days)


def _parse_date_item(item: object) -> list[date]:
    if isinstance(item, datetime):
        raise ValueError("a date without a time of day is expected")
    if isinstance(item, date):
        return [item]
    if not isinstance(item, str):
        raise ValueError("expected a date YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD")
    first_text, separator, last_text = item.strip().partition(_RANGE_SEPARATOR)
    first = _parse_iso_date(first_text)
    if not separator:
        return [first]
    last = _parse_iso_date(last_text)
    if last < first:
        raise ValueError("range ends before it starts")
    if (last - first).days >= _MAX_RANGE_DAYS:
        raise ValueError("range longer than a year")
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def _parse_iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a date YYYY-MM-DD") from None


# --- the calendar ------------------------------------------------------------------------------


class WorkingCalendar:
    """Working days and office hours in one business time zone, from the official schedule."""

    def __init__(
        self,
        overrides: Mapping[int, YearSchedule] | None = None,
        office_hours: Sequence[tuple[time, time]] = DEFAULT_OFFICE_HOURS,
        tz: ZoneInfo = SHANGHAI,
    ) -> None:
        self._overrides: dict[int, YearSchedule] = dict(overrides or {})
        self._office_hours = _validated_office_hours(office_hours)
        self._tz = tz
        self._working_day_cache: dict[date, bool] = {}
        self._periods_cache: dict[date, tuple[tuple[datetime, datetime], ...]] = {}

    @classmethod
    def default(cls) -> WorkingCalendar:
        """The calendar from the shipped override file plus $CALENDAR_OVERRIDES (later wins)."""
        overrides = load_overrides(SHIPPED_OVERRIDES)
        extra = os.environ.get(OVERRIDES_ENV_VAR)
        if extra:
            overrides.update(load_overrides(extra))
        return cls(overrides)

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
        for opens, closes in self._office_periods_from(local_start.date()):
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
        try:
            official = bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            raise _unknown_year(day, schedule) from None
        if schedule is not None:
            if day in schedule.holidays:
                return False
            if day in schedule.workdays:
                return True
        return official

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


def _unknown_year(day: date, schedule: YearSchedule | None) -> CalendarUnknownYear:
    year = day.year
    first, last = PACKAGE_YEARS
    partial = (f"; the override for {year} lists local changes only (complete: false)"
               if schedule is not None else "")
    return CalendarUnknownYear(
        f"no working-day schedule for {year}: chinesecalendar knows {first}–{last}{partial}; "
        f"add year {year} with complete: true to the calendar override file "
        f"({OVERRIDES_ENV_VAR}, e.g. lib/sunlight/data/calendar-overrides.yml)",
        fields={"year": year, "date": day.isoformat()},
    )
