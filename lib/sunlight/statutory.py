"""The provisional holiday schedule of a year, from the law alone (no State Council notice yet).

《全国年节及纪念日放假办法》 as amended in 2024 (in force from 2025) gives every citizen these days
off: 元旦 New Year's Day (1 January); 春节 Spring Festival, 4 days (除夕 New Year's Eve and
正月初一 to 初三 of the lunar year); 清明 Qingming (the day of the Qingming solar term); 劳动节
Labour Day (1–2 May); 端午 Dragon Boat Festival (五月初五); 中秋 Mid-Autumn Festival (八月十五);
国庆 National Day (1–3 October). A holiday falling on a Saturday or Sunday is given back on a working
day (补假, Article 6): here the first weekdays after it that are not already off. The make-up working
weekends (调休) exist only in each year's notice and cannot be foreseen, so none are added.

Lunar dates come from ``lunardate`` (1900–2099), the solar term from ``chinesecalendar``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar
from lunardate import LunarDate

LAW_IN_FORCE_FROM = 2025  # the 2024 amendment; earlier years followed other versions of the law
LUNAR_YEARS = (1900, 2099)  # what lunardate's table covers
_QINGMING = "清明"


@dataclass(frozen=True)
class Festivals:
    """The dates a year's statutory holidays are fixed by (lunar ones converted to the Gregorian)."""

    year: int
    spring_festival: date  # 正月初一, the first day of the lunar year
    qingming: date
    dragon_boat: date
    mid_autumn: date

    @property
    def new_years_eve(self) -> date:
        """除夕: the last day of the lunar year before the Spring Festival."""
        return self.spring_festival - timedelta(days=1)


def festivals(year: int) -> Festivals:
    """The lunar festivals and the Qingming solar term of a Gregorian year."""
    first, last = LUNAR_YEARS
    if not first <= year <= last:
        raise ValueError(f"lunar dates are known for {first}–{last}, not {year}")
    return Festivals(
        year=year,
        spring_festival=_lunar(year, 1, 1),
        qingming=_qingming(year),
        dragon_boat=_lunar(year, 5, 5),
        mid_autumn=_lunar(year, 8, 15),
    )


def statutory_days(year: int) -> list[date]:
    """Each day of the year's statutory entitlement; a day that two holidays share is listed twice."""
    if year < LAW_IN_FORCE_FROM:
        raise ValueError(f"the 2024 holiday law applies from {LAW_IN_FORCE_FROM}, not to {year}")
    fest = festivals(year)
    spring = [fest.new_years_eve + timedelta(days=offset) for offset in range(4)]
    return sorted([
        date(year, 1, 1),
        *spring,
        fest.qingming,
        date(year, 5, 1), date(year, 5, 2),
        fest.dragon_boat,
        fest.mid_autumn,
        date(year, 10, 1), date(year, 10, 2), date(year, 10, 3),
    ])


def provisional_holidays(year: int) -> frozenset[date]:
    """The weekdays off in a year by the law alone: statutory days plus those given back (补假)."""
    entitled = Counter(statutory_days(year))
    off: set[date] = set()
    owed = 0
    day, end = date(year, 1, 1), date(year, 12, 31)
    while day <= end:
        weekday = day.weekday() < 5
        if entitled[day]:
            owed += entitled[day] - 1 if weekday else entitled[day]
            if weekday:
                off.add(day)
        elif owed and weekday:
            off.add(day)
            owed -= 1
        day += timedelta(days=1)
    return frozenset(off)


def _lunar(year: int, month: int, day: int) -> date:
    solar = LunarDate(year, month, day).to_solar_date()
    return date(solar.year, solar.month, solar.day)


def _qingming(year: int) -> date:
    terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30))
    for day, name in terms:
        if name == _QINGMING:
            return date(day.year, day.month, day.day)
    raise AssertionError(f"no Qingming solar term in April {year}")  # pragma: no cover
