"""The calendar override file: years the package does not know, or local changes on top of it.

Format (YAML)::

    years:
      2027:
        complete: true                 # required; true: this entry alone defines the year
        holidays:                      # days off, including the weekend days inside a holiday
          - 2027-01-01
          - 2027-02-05..2027-02-11     # an inclusive range, as a string "first..last"
        workdays: [2027-02-14]         # weekend days declared working days (调休)

With ``complete: true`` a day is a working day if it is listed in ``workdays``, or it is Monday to
Friday and not listed in ``holidays``. With ``complete: false`` the listed days change the base
schedule's answer (the package's, or the provisional statutory rule's) and every other day keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

from sunlight.errors import ValidationFailed

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
