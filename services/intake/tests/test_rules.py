"""Intake's rules beyond the skeleton: conditional materials and fees, form fields, duplicate and oversized
files, repeats, refusals with a filed reason, and correction (补正) against an accepted application."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import pytest

from intake import domain
from intake.catalogue import load_catalogue
from sunlight.calendar import SHANGHAI, WorkingCalendar
from sunlight.contracts import APPLICATION_CORRECTED, APPLICATION_REFUSED, Event
from sunlight.errors import Conflict, IncompleteApplication, ValidationFailed

CATALOGUE = load_catalogue()
MORTGAGE = CATALOGUE["HZ-DJ-0201"]
CONSTRUCTION_LAND = CATALOGUE["HZ-YD-0301"]
MUCK = CATALOGUE["GS-CG-0301"]
SHOP_SIGN = CATALOGUE["GS-CG-0201"]
NOW = datetime(2026, 9, 25, 10, 30, tzinfo=SHANGHAI)
PERSON = "11010519491231002X"


def files(*codes: str) -> dict[str, str]:
    return {code: hashlib.sha256(code.encode()).hexdigest() for code in codes}


def submission(item: Any, **changes: Any) -> domain.Submission:
    values: dict[str, Any] = {
        "item_code": item.code, "applicant_name": "王小明", "applicant_kind": "person", "id_number": PERSON,
        "mobile": "13800571234", "channel": "online",
        "materials": files(*(m.code for m in item.materials if m.mandatory and m.when is None)),
    }
    values.update(changes)
    return domain.Submission(**values)


def mortgage(use: str, **changes: Any) -> domain.Submission:
    form = {"property_use": use, "title_number": "浙(2025)杭州市不动产权第0012345号", "secured_amount_yuan": 800000}
    return submission(MORTGAGE, form=form, **changes)


def test_a_housing_mortgage_is_charged_80_yuan_and_a_shop_s_mortgage_550() -> None:
    assert [(f.code, f.amount_fen) for f in domain.fees_due(MORTGAGE, mortgage("housing"))] == [
        ("registration-fee", 8000)]
    assert [(f.code, f.amount_fen) for f in domain.fees_due(MORTGAGE, mortgage("non-housing"))] == [
        ("registration-fee-non-housing", 55000)]
    assert domain.problems_with(MORTGAGE, mortgage("housing")) == {}


def test_a_fee_the_catalogue_does_not_list_or_that_is_not_due_cannot_be_charged() -> None:
    problems = domain.problems_with(
        MORTGAGE, mortgage("housing", fees_claimed=("registration-fee-non-housing", "expedite-fee")))
    assert problems == {
        "fees.expedite-fee": ["not a fee of item HZ-DJ-0201: nothing unlisted may be charged"],
        "fees.registration-fee-non-housing": ["listed, but not due on this application"],
    }


def test_the_farmland_conversion_plan_is_demanded_only_when_farmland_is_converted() -> None:
    form = {"project_name": "杭州湾数据中心", "area_mu": 52.5, "converts_farmland": False}
    assert domain.problems_with(CONSTRUCTION_LAND, submission(CONSTRUCTION_LAND, form=form)) == {}
    converting = submission(CONSTRUCTION_LAND, form={**form, "converts_farmland": True})
    assert domain.problems_with(CONSTRUCTION_LAND, converting) == {
        "materials.conversion-plan": ["missing: 农用地转用方案及补充耕地方案"]}


def test_every_form_problem_is_named_with_its_label_at_once() -> None:
    form = {"project_name": "", "area_mu": "fifty", "colour": "red"}
    assert domain.problems_with(CONSTRUCTION_LAND, submission(CONSTRUCTION_LAND, form=form)) == {
        "form.project_name": ["missing: 建设项目名称"],
        "form.area_mu": ["用地面积（亩）: a number"],
        "form.converts_farmland": ["missing: 是否占用农用地"],
        "form.colour": ["not a field of item HZ-YD-0301"],
    }


@pytest.mark.parametrize(("plates", "reason"), [
    (["浙A12345", "浙AD12345"], None),
    (["浙A1234"], "运输车辆号牌: not a vehicle plate: 浙A1234"),
    (["浙I12345", "ZJA12345"], "运输车辆号牌: not a vehicle plate: 浙I12345, ZJA12345"),
    (["浙A12345", "浙A12345"], "运输车辆号牌: a plate is listed twice"),
    ("浙A12345", "运输车辆号牌: a list of one or more vehicle plates"),
])
def test_muck_trucks_are_checked_by_plate(plates: Any, reason: str | None) -> None:
    form = {"site_address": "拱墅区大关路100号", "volume_m3": 1200, "truck_plates": plates}
    problems = domain.problems_with(MUCK, submission(MUCK, form=form))
    assert problems.get("form.truck_plates") == (None if reason is None else [reason])


def test_one_file_handed_in_as_two_materials_and_an_oversized_file_are_refused() -> None:
    materials = files("application-form", "business-licence", "design-drawing")
    materials["design-drawing"] = materials["business-licence"]
    big = submission(SHOP_SIGN, materials=materials, material_sizes={"application-form": 21 * 1024 * 1024})
    assert domain.problems_with(SHOP_SIGN, big) == {
        "materials.application-form": [f"{21 * 1024 * 1024} bytes, more than the 20 MB allowed"],
        "materials.design-drawing": ["the same file as materials.business-licence"],
    }


def test_an_item_of_another_bureau_is_refused_at_this_window() -> None:
    problems = domain.problems_with(SHOP_SIGN, submission(SHOP_SIGN, tenant="hz-land"))
    assert problems == {"tenant": ["item GS-CG-0201 is received by gs-city, not by hz-land"]}


def test_a_repeat_is_the_same_applicant_item_and_files_within_the_window() -> None:
    first = submission(SHOP_SIGN)
    assert domain.submission_fingerprint(first) == domain.submission_fingerprint(
        submission(SHOP_SIGN, channel="counter", clerk_id="window-02", id_number=PERSON.lower()))
    assert domain.submission_fingerprint(first) != domain.submission_fingerprint(
        submission(SHOP_SIGN, materials={**first.materials, "owner-consent": "a" * 64}))
    assert domain.is_repeat(NOW, NOW + timedelta(hours=23), timedelta(hours=24))
    assert not domain.is_repeat(NOW, NOW + timedelta(hours=25), timedelta(hours=24))


def test_a_refusal_without_a_listed_reason_or_an_explanation_cannot_be_filed() -> None:
    with pytest.raises(ValidationFailed) as refused:
        domain.refuse(SHOP_SIGN, submission(SHOP_SIGN), number="GS-2026-000009", reason_code="dislike",
                      reason_text=" ", now=NOW)
    assert set(refused.value.fields) == {"reason_code", "reason_text", "clerk_id"}


def test_a_refusal_is_filed_for_supervision_with_its_reason_and_the_applicant_s_phone() -> None:
    refusal, event = domain.refuse(
        SHOP_SIGN, submission(SHOP_SIGN, clerk_id="window-02", channel="counter"), number="GS-2026-000009",
        reason_code="outside-remit", reason_text="临街立面整体改造属规划部门审批事项", now=NOW)
    assert refusal.reason == "申请事项依法不属于本机关职权范围"
    payload = Event.from_message(event.to_message()).payload
    assert event.event_type == APPLICATION_REFUSED and event.case_number == "GS-2026-000009"
    assert (payload["reason_code"], payload["clerk_id"], payload["applicant"]["mobile"]) == (
        "outside-remit", "window-02", "13800571234")


def test_a_correction_adds_the_missing_drawing_and_announces_it_for_the_case_to_resume() -> None:
    held = files("application-form", "business-licence")
    correction, event = domain.correct(
        SHOP_SIGN, application_number="GS-2026-000003", status="accepted", applicant_name="王小明",
        mobile="13800571234", held=held, resubmitted=files("design-drawing"), sizes={}, clerk_id=None, now=NOW)
    assert set(correction.materials) == {"application-form", "business-licence", "design-drawing"}
    assert event.event_type == APPLICATION_CORRECTED and event.case_number == "GS-2026-000003"
    assert Event.from_message(event.to_message()).payload["materials"] == ["design-drawing"]


def test_a_correction_must_bring_a_new_material_of_the_item_to_an_accepted_application() -> None:
    held = files("application-form", "business-licence")
    with pytest.raises(IncompleteApplication) as bad:
        domain.correct(SHOP_SIGN, application_number="GS-2026-000003", status="accepted", applicant_name="王",
                       mobile="13800571234", held=held, resubmitted={"drawing": held["business-licence"]},
                       sizes={}, clerk_id=None, now=NOW)
    assert bad.value.fields == {"materials.drawing": [
        "not a material of item GS-CG-0201", "the same file as materials.business-licence"]}
    with pytest.raises(Conflict):
        domain.correct(SHOP_SIGN, application_number="GS-2026-000003", status="refused", applicant_name="王",
                       mobile="13800571234", held=held, resubmitted=files("design-drawing"), sizes={},
                       clerk_id=None, now=NOW)


def test_a_single_house_registration_is_promised_the_same_day() -> None:
    house = CATALOGUE["HZ-DJ-0102"]
    with pytest.raises(IncompleteApplication) as notice:  # a person registering a home shows marital status
        domain.require_complete(house, submission(house))
    assert notice.value.fields == {"materials.marriage-record": ["missing: 婚姻状况证明"]}
    married = submission(house, materials=files(*(m.code for m in house.materials)))
    receipt, _ = domain.accept(house, married, application_number="HZ-2026-000002", query_code="1",
                               now=NOW, calendar=WorkingCalendar(), local_today=NOW.date())
    assert receipt.promised_date == NOW.date()
