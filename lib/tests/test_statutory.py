"""The provisional holiday rule, proved against the official schedules chinesecalendar knows.

For every year the package knows, the festival dates the rule computes (Spring Festival, Qingming,
Dragon Boat, Mid-Autumn) fall inside the package's holiday of that name; for 2025 and 2026, the
first years of the 2024 law, every day the rule gives off is a day off in the official schedule.
"""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest

from sunlight import statutory
from sunlight.calendar import PACKAGE_YEARS

KNOWN_YEARS = range(PACKAGE_YEARS[0], PACKAGE_YEARS[1] + 1)
# Qingming, Dragon Boat and Mid-Autumn became public holidays with the 2008 amendment of the law.
SINCE_2008 = range(max(2008, PACKAGE_YEARS[0]), PACKAGE_YEARS[1] + 1)


def official_holiday_names_around(day: date) -> set[str]:
    """The names the package gives to the run of days off that contains day."""
    assert chinese_calendar.is_holiday(day), f"{day} is a working day in the official schedule"
    names: set[str] = set()
    for step in (timedelta(days=1), timedelta(days=-1)):
        cursor = day
        while chinese_calendar.is_holiday(cursor):
            name = chinese_calendar.get_holiday_detail(cursor)[1]
            if name:
                names.add(name)
            cursor += step
    return names


@pytest.mark.parametrize("year", KNOWN_YEARS)
def test_the_computed_spring_festival_is_inside_the_official_spring_festival_holiday(year: int) -> None:
    assert "Spring Festival" in official_holiday_names_around(statutory.festivals(year).spring_festival)


@pytest.mark.parametrize("year", SINCE_2008)
def test_the_computed_qingming_dragon_boat_and_mid_autumn_are_inside_their_official_holidays(year: int) -> None:
    festivals = statutory.festivals(year)
    assert "Tomb-sweeping Day" in official_holiday_names_around(festivals.qingming)
    assert "Dragon Boat Festival" in official_holiday_names_around(festivals.dragon_boat)
    # In 2020 Mid-Autumn fell on 1 October and the package names the whole week National Day.
    assert official_holiday_names_around(festivals.mid_autumn) & {"Mid-autumn Festival", "National Day"}


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_day_the_law_gives_off_in_2025_and_2026_is_off_in_the_official_schedule(year: int) -> None:
    provisional = statutory.provisional_holidays(year)
    assert len(provisional) >= 11  # 13 statutory days, less those on weekends given back as weekdays
    for day in sorted(provisional):
        assert chinese_calendar.is_holiday(day), f"{day} is off by the law but a working day officially"


def test_2027_spring_festival_is_6_february_and_the_eve_is_5_february() -> None:
    festivals = statutory.festivals(2027)
    assert festivals.spring_festival == date(2027, 2, 6)
    assert festivals.new_years_eve == date(2027, 2, 5)
    assert festivals.qingming == date(2027, 4, 5)
    assert festivals.dragon_boat == date(2027, 6, 9)
    assert festivals.mid_autumn == date(2027, 9, 15)


def test_2027_by_the_law_alone_gives_back_the_weekend_days_of_spring_festival_labour_and_national_day() -> None:
    # 除夕 Fri Feb 5, 初一–初二 fall on Sat–Sun, 初三 Mon Feb 8: two days given back, Tue–Wed.
    # Labour Day is Sat–Sun May 1–2: given back Mon–Tue May 3–4. National Day Fri Oct 1 + Sat–Sun.
    assert statutory.provisional_holidays(2027) == frozenset({
        date(2027, 1, 1),
        date(2027, 2, 5), date(2027, 2, 8), date(2027, 2, 9), date(2027, 2, 10),
        date(2027, 4, 5),
        date(2027, 5, 3), date(2027, 5, 4),
        date(2027, 6, 9),
        date(2027, 9, 15),
        date(2027, 10, 1), date(2027, 10, 4), date(2027, 10, 5),
    })


def test_a_day_two_holidays_share_is_given_back_once_more() -> None:
    # 2028: National Day Sun Oct 1 and Mid-Autumn Tue Oct 3 share a day: 4 statutory days, 1 weekend.
    assert {day for day in statutory.provisional_holidays(2028) if day.month == 10} == {
        date(2028, 10, 2), date(2028, 10, 3), date(2028, 10, 4), date(2028, 10, 5)}


def test_years_before_the_2024_law_or_beyond_the_lunar_table_are_refused() -> None:
    with pytest.raises(ValueError, match="2025"):
        statutory.provisional_holidays(2024)
    with pytest.raises(ValueError, match="2100"):
        statutory.festivals(2100)
