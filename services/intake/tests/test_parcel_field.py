"""A parcel given on a registration form is checked at the window, every wrong part named at once."""

from __future__ import annotations

from intake.items import FormField

PARCEL = FormField(name="parcel", label="宗地", type="parcel", required=False)
GOOD = {"code": "330106001001GB00088", "location": "杭州市西湖区三墩镇振华路以北", "area_m2": 26666.7,
        "land_use": "工业用地", "right_type": "granted", "term_years": 50}


def test_a_complete_parcel_passes() -> None:
    assert PARCEL.problem_with(GOOD) is None
    assert PARCEL.problem_with({**GOOD, "geometry": {"type": "Point", "coordinates": [120.1, 30.3]}}) is None


def test_every_wrong_part_is_named_in_one_answer() -> None:
    problem = PARCEL.problem_with({"location": " ", "area_m2": -5, "right_type": "owned", "term_years": 99,
                                   "colour": "red"})
    assert problem is not None
    for expected in ("code missing", "location missing", "land_use missing", "area_m2", "right_type must be one of",
                     "term_years", "unknown parts: colour"):
        assert expected in problem


def test_something_that_is_not_a_parcel_is_refused() -> None:
    assert PARCEL.problem_with("330106001001GB00088") is not None
