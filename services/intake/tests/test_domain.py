"""Intake's rules: checksums of ID numbers, the one-time notice, numbering and the promised date.

Dates follow the State Council schedule for 2026 (see lib/tests/test_calendar.py): National Day is
off Oct 1 – 7, with make-up working days Sun Sep 20 and Sat Oct 10.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import pytest

from intake import domain
from intake.catalogue import load_catalogue
from sunlight import seals
from sunlight.calendar import SHANGHAI, WorkingCalendar
from sunlight.contracts import APPLICATION_ACCEPTED, Event
from sunlight.errors import IncompleteApplication
from sunlight.querycodes import code_digest, code_matches

CALENDAR = WorkingCalendar()
CATALOGUE = load_catalogue()
SHOP_SIGN = CATALOGUE["GS-CG-0201"]  # 户外招牌设置审批: 5 working days, owner consent optional
LAND_TITLE = CATALOGUE["HZ-DJ-0101"]  # 国有建设用地使用权首次登记: 1 working day

ALIBABA = "91330100799655058B"  # 阿里巴巴（中国）网络技术有限公司, Hangzhou
TENCENT = "9144030071526726XG"  # 深圳市腾讯计算机系统有限公司
HUAWEI = "914403001922038216"  # 华为技术有限公司
SAMPLE_ID = "11010519491231002X"  # the worked example of GB 11643-1999
GUANGDONG_ID = "440524188001010014"


def fingerprint(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def shop_sign_materials(*codes: str) -> dict[str, str]:
    return {code: fingerprint(f"{code}.pdf") for code in codes}


def company_submission(**changes: Any) -> domain.Submission:
    values: dict[str, Any] = {
        "item_code": "GS-CG-0201",
        "applicant_name": "阿里巴巴（中国）网络技术有限公司",
        "applicant_kind": "company",
        "id_number": ALIBABA,
        "mobile": "13957112345",
        "materials": shop_sign_materials("application-form", "business-licence", "design-drawing"),
        "channel": "counter",
        "clerk_id": "window-02",
    }
    values.update(changes)
    return domain.Submission(**values)


def land_submission(**changes: Any) -> domain.Submission:
    values: dict[str, Any] = {
        "item_code": "HZ-DJ-0101",
        "applicant_name": "王小明",
        "applicant_kind": "person",
        "id_number": SAMPLE_ID,
        "mobile": "13800571234",
        "materials": shop_sign_materials(*(m.code for m in LAND_TITLE.materials)),
        "channel": "online",
    }
    values.update(changes)
    return domain.Submission(**values)


def accept(item: domain.Item, submission: domain.Submission, now: datetime,
           **extra: Any) -> tuple[domain.Receipt, Event]:
    """Accept as the window does: the local date of ``now`` is the day the period starts."""
    number = "HZ-2026-000001" if item.tenant == "hz-land" else "GS-2026-000001"
    return domain.accept(
        item, submission, application_number=number, query_code="482913", now=now,
        calendar=CALENDAR, local_today=now.astimezone(SHANGHAI).date(), **extra)


# --- GB 11643 resident ID and GB 32100 unified social credit code --------------------------------


@pytest.mark.parametrize("number", [SAMPLE_ID, GUANGDONG_ID, "11010119900307803X"])
def test_real_resident_id_numbers_pass_their_checksum(number: str) -> None:
    assert domain.valid_resident_id(number)


# people born in Xihu district, Hangzhou, on 1990-01-01: one number for each of the 11 check characters
XIHU_1990 = ["330106199001011010", "330106199001011061", "330106199001011002", "330106199001011053",
             "330106199001011184", "330106199001011045", "330106199001011096", "330106199001011037",
             "330106199001011088", "330106199001011029", "33010619900101107X"]


@pytest.mark.parametrize("number", XIHU_1990)
def test_exactly_one_check_character_completes_each_resident_id(number: str) -> None:
    accepted = [check for check in "0123456789X" if domain.valid_resident_id(number[:17] + check)]
    assert accepted == [number[17]]


@pytest.mark.parametrize("number", [
    "110105194912310021",  # the sample with the wrong check character
    "440524188001010015",  # off by one in the check digit
    "11010519491231002",  # 17 characters
    "11010519491231002x",  # lower-case x: the schema upper-cases before the domain sees it
    "１１０１０５１９４９１２３１００２X",  # full-width digits, as some input methods type them
    "",
])
def test_a_resident_id_with_a_wrong_check_character_or_shape_is_refused(number: str) -> None:
    assert not domain.valid_resident_id(number)


@pytest.mark.parametrize("code", [ALIBABA, TENCENT, HUAWEI])
def test_real_unified_social_credit_codes_pass_their_checksum(code: str) -> None:
    assert domain.valid_credit_code(code)


@pytest.mark.parametrize("code", [
    "91330100799655058C",  # Alibaba's code with the wrong check character
    "9144030071526726X0",
    "914403001922038217",
    "91330100799655O58B",  # letter O is not in the GB 32100 alphabet
    "9133010079965505",  # too short
    "91330100799655058b",  # lower case
])
def test_a_credit_code_with_a_wrong_check_character_or_a_foreign_letter_is_refused(code: str) -> None:
    assert not domain.valid_credit_code(code)


# --- the one-time notice (一次性告知) -----------------------------------------------------------


def test_a_complete_shop_sign_application_has_no_problems() -> None:
    assert domain.problems_with(SHOP_SIGN, company_submission()) == {}
    domain.require_complete(SHOP_SIGN, company_submission())


def test_the_optional_owner_consent_is_not_demanded_but_is_welcome() -> None:
    without = company_submission()
    with_consent = company_submission(materials={
        **without.materials, **shop_sign_materials("owner-consent")})
    assert "materials.owner-consent" not in domain.problems_with(SHOP_SIGN, without)
    assert domain.problems_with(SHOP_SIGN, with_consent) == {}


def test_the_notice_lists_every_missing_material_and_every_bad_field_at_once() -> None:
    submission = company_submission(
        id_number="91330100799655058C", mobile="0571-8888888",
        materials=shop_sign_materials("application-form", "shop-photo"))
    problems = domain.problems_with(SHOP_SIGN, submission)
    assert problems == {
        "applicant.id_number": ["not a valid unified social credit code (checksum)"],
        "applicant.mobile": ["not a mainland mobile number (11 digits starting 13-19)"],
        "materials.business-licence": ["missing: 营业执照"],
        "materials.design-drawing": ["missing: 招牌设计效果图"],
        "materials.shop-photo": ["not a material of item GS-CG-0201"],
    }


def test_an_application_with_no_material_at_all_names_all_five_land_registration_materials() -> None:
    problems = domain.problems_with(LAND_TITLE, land_submission(materials={}))
    assert problems == {
        "materials.application-form": ["missing: 不动产登记申请书"],
        "materials.identity": ["missing: 申请人身份证明"],
        "materials.grant-contract": ["missing: 国有建设用地使用权出让合同"],
        "materials.premium-receipt": ["missing: 土地出让价款缴清凭证"],
        "materials.parcel-map": ["missing: 宗地图及界址点坐标"],
    }


def test_require_complete_raises_the_one_time_notice_with_every_problem() -> None:
    submission = land_submission(id_number="110105194912310021", materials={})
    with pytest.raises(IncompleteApplication) as notice:
        domain.require_complete(LAND_TITLE, submission)
    assert notice.value.fields == domain.problems_with(LAND_TITLE, submission)
    assert len(notice.value.fields) == 6
    assert "HZ-DJ-0101" in notice.value.message
    assert "6 problem(s)" in notice.value.message


def test_a_person_is_checked_against_gb_11643_and_a_company_against_gb_32100() -> None:
    person_with_company_code = land_submission(id_number=ALIBABA)
    company_with_person_id = company_submission(id_number=SAMPLE_ID)
    assert domain.problems_with(LAND_TITLE, person_with_company_code) == {
        "applicant.id_number": ["not a valid resident ID number (checksum)"]}
    assert domain.problems_with(SHOP_SIGN, company_with_person_id) == {
        "applicant.id_number": ["not a valid unified social credit code (checksum)"]}


@pytest.mark.parametrize("mobile", [
    "12800571234",  # no mainland mobile starts with 12
    "1380057123",  # ten digits
    "138005712345",  # twelve digits
    "13800571234\n",  # a trailing newline pasted from a spreadsheet
    "１３８００５７１２３４",  # full-width digits: no SMS gateway accepts them
    "13８00571234",  # one full-width digit slipped in
    "+8613800571234",
])
def test_a_mobile_that_is_not_eleven_plain_digits_from_13_to_19_is_refused(mobile: str) -> None:
    assert set(domain.problems_with(LAND_TITLE, land_submission(mobile=mobile))) == {"applicant.mobile"}


def test_mobiles_of_every_mainland_prefix_from_13_to_19_are_accepted() -> None:
    for prefix in range(13, 20):
        assert domain.problems_with(LAND_TITLE, land_submission(mobile=f"{prefix}800571234")) == {}


def test_an_item_withdrawn_from_the_catalogue_refuses_applications_and_still_lists_the_rest() -> None:
    from dataclasses import replace

    withdrawn = replace(SHOP_SIGN, active=False)
    problems = domain.problems_with(withdrawn, company_submission(materials={}))
    assert problems["item_code"] == ["item GS-CG-0201 is not accepting applications"]
    assert {"materials.application-form", "materials.business-licence", "materials.design-drawing"} <= set(problems)


# --- application numbers and the acceptance receipt --------------------------------------------


def test_application_numbers_read_prefix_year_and_a_six_digit_sequence() -> None:
    assert domain.application_number("GS", 2026, 1) == "GS-2026-000001"
    assert domain.application_number("HZ", 2026, 1500) == "HZ-2026-001500"
    assert domain.application_number("GS", 2027, 999999) == "GS-2027-999999"


def test_a_shop_sign_accepted_the_friday_before_national_day_is_promised_for_october_9() -> None:
    # Fri Sep 25: Mon 28 (1), Tue 29 (2), Wed 30 (3), Oct 1-7 off, Thu Oct 8 (4), Fri Oct 9 (5).
    accepted_at = datetime(2026, 9, 25, 10, 30, tzinfo=SHANGHAI)
    receipt, _ = accept(SHOP_SIGN, company_submission(), accepted_at)
    assert receipt.promised_date == date(2026, 10, 9)


def test_a_land_registration_accepted_online_on_saturday_sep_19_is_promised_for_the_make_up_sunday() -> None:
    accepted_at = datetime(2026, 9, 19, 20, 0, tzinfo=SHANGHAI)
    receipt, _ = accept(LAND_TITLE, land_submission(), accepted_at)
    assert receipt.promised_date == date(2026, 9, 20)


def test_a_shop_sign_accepted_before_the_2027_spring_festival_is_promised_after_it_not_refused() -> None:
    # No 2027 notice yet: the law alone gives off Fri Feb 5 (除夕), Mon Feb 8 (初三) and Tue–Wed Feb 9–10
    # (初一, 初二 fell on the weekend). Thu Feb 4: Thu Feb 11 (1), Fri 12 (2), Mon 15 (3), Tue 16 (4), Wed 17 (5).
    provisional = WorkingCalendar(provisional_through=2029)
    accepted_at = datetime(2027, 2, 4, 10, 0, tzinfo=SHANGHAI)
    receipt, _ = domain.accept(
        SHOP_SIGN, company_submission(), application_number="GS-2027-000001", query_code="482913",
        now=accepted_at, calendar=provisional, local_today=accepted_at.date())
    assert receipt.promised_date == date(2027, 2, 17)


def test_the_receipt_names_the_item_number_query_code_and_every_material_received() -> None:
    accepted_at = datetime(2026, 9, 25, 10, 30, tzinfo=SHANGHAI)
    submission = company_submission(materials={
        **company_submission().materials, **shop_sign_materials("owner-consent")})
    receipt, _ = accept(SHOP_SIGN, submission, accepted_at)
    assert receipt == domain.Receipt(
        application_number="GS-2026-000001",
        query_code="482913",
        item_code="GS-CG-0201",
        item_name="户外招牌设置审批",
        tenant="gs-city",
        accepted_at=accepted_at,
        promised_date=date(2026, 10, 9),
        materials_received=("application-form", "business-licence", "design-drawing", "owner-consent"),
        channel="counter",
        clerk_id="window-02",
    )


def test_acceptance_announces_application_accepted_with_what_workflow_and_notify_need() -> None:
    accepted_at = datetime(2026, 9, 25, 10, 30, tzinfo=SHANGHAI)
    _, event = accept(SHOP_SIGN, company_submission(), accepted_at)
    assert event.event_type == APPLICATION_ACCEPTED
    assert event.source == "intake"
    assert event.case_number == "GS-2026-000001"
    assert event.occurred_at == accepted_at
    received: Mapping[str, Any] = Event.from_message(event.to_message()).payload
    assert received == {
        "application_number": "GS-2026-000001",
        "item_code": "GS-CG-0201",
        "item_name": "户外招牌设置审批",
        "tenant": "gs-city",
        "process": "shop-sign-approval",
        "applicant": {"name": "阿里巴巴（中国）网络技术有限公司", "mobile": "13957112345"},
        "accepted_at": accepted_at,
        "promised_date": date(2026, 10, 9),
        "certificate_kind": "permit",
        "fees_due": [],  # a shop sign costs nothing
        "form": {},
        # no query_code_digest: without QUERY_CODE_KEY the gateway asks intake for the status
        # no query code at all: it is on the receipt, and without QUERY_CODE_SEAL_KEY it is not sent sealed either
        "query_code": None,  # the field older intakes filled, read by the schema as absent
        "permit_series": "招牌",
    }


def test_with_a_key_the_acceptance_carries_a_digest_only_that_key_matches_to_the_query_code() -> None:
    digest = code_digest(b"intake and gateway", "GS-2026-000001", "482913")
    _, event = accept(SHOP_SIGN, company_submission(), datetime(2026, 9, 25, 10, 30, tzinfo=SHANGHAI),
                      query_code_digest=digest)
    received = Event.from_message(event.to_message()).payload["query_code_digest"]
    assert code_matches(b"intake and gateway", "GS-2026-000001", "482913", received)
    assert not code_matches(b"intake and gateway", "GS-2026-000001", "482914", received)
    assert not code_matches(b"intake and gateway", "GS-2026-000002", "482913", received)  # bound to its number
    assert not code_matches(b"an inspector's guess", "GS-2026-000001", "482913", received)


def test_the_query_code_travels_sealed_for_notify_and_in_clear_nowhere_in_the_event() -> None:
    sealed = seals.seal(b"intake and notify", "GS-2026-000001", "482913")
    _, event = accept(SHOP_SIGN, company_submission(), datetime(2026, 9, 25, 10, 30, tzinfo=SHANGHAI),
                      sealed_query_code=sealed)
    body = event.to_message()
    received = body["payload"].pop("sealed_query_code")
    assert "482913" not in json.dumps(body)  # nowhere but in the seal
    assert "query_code" not in body["payload"]
    assert seals.unseal(b"intake and notify", "GS-2026-000001", received) == "482913"


def test_a_land_registration_announces_the_catalogue_s_fee_with_its_basis() -> None:
    _, event = accept(LAND_TITLE, land_submission(), datetime(2026, 9, 25, 10, 30, tzinfo=SHANGHAI))
    [fee] = Event.from_message(event.to_message()).payload["fees_due"]
    assert (fee["code"], fee["name"], fee["amount_fen"]) == ("registration-fee", "不动产登记费（非住宅）", 55000)
    assert fee["basis"].startswith("《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》")


def test_an_incomplete_application_is_not_accepted_but_told_everything_missing() -> None:
    accepted_at = datetime(2026, 9, 25, 10, 30, tzinfo=SHANGHAI)
    with pytest.raises(IncompleteApplication) as notice:
        accept(SHOP_SIGN, company_submission(materials={}), accepted_at)
    assert set(notice.value.fields) == {
        "materials.application-form", "materials.business-licence", "materials.design-drawing"}
