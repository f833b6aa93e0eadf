"""Notify's rules: templates checked when loaded, and the completion SMS signed by the tenant."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from notify import domain
from notify.settings import TEMPLATES
from sunlight import seals
from sunlight.errors import ValidationFailed
from sunlight.tenants import tenant

SHIPPED = domain.parse_templates(yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))["templates"])
COMPLETED = SHIPPED["certificate_issued"]
GS_CITY = tenant("gs-city")
HZ_LAND = tenant("hz-land")


def values(**changes: str) -> dict[str, str]:
    base = {"holder_name": "杭州拱墅区知味观餐饮有限公司", "item_name": "户外招牌设置审批",
            "certificate_number": "拱城管许字(2026)第000001号", "window": GS_CITY.window}
    base.update(changes)
    return base


def refusal(raw: dict[str, Any]) -> dict[str, Any]:
    with pytest.raises(ValidationFailed) as refused:
        domain.parse_templates(raw)
    assert refused.value.message == "SMS templates are invalid"
    return refused.value.fields


def test_the_shipped_templates_cover_applicants_and_staff_and_only_news_can_be_opted_out_of() -> None:
    applicant = {"application_received", "application_received_with_code", "correction_needed",
                 "application_approved", "application_refused", "application_not_accepted", "certificate_issued",
                 "complaint_accepted", "complaint_answered"}  # 信访: the complainant is told the number and the answer
    staff = {"task_created", "deadline_prompt", "deadline_yellow", "deadline_red", "case_urged"}
    assert {k for k, t in SHIPPED.items() if t.audience == "applicant"} == applicant
    assert {k for k, t in SHIPPED.items() if t.audience == "staff"} == staff
    assert {k for k, t in SHIPPED.items() if not t.essential} == {
        "application_received", "application_received_with_code", "application_approved"}
    assert "query_code" in SHIPPED["application_received_with_code"].fields
    assert "query_code" not in SHIPPED["application_received"].fields


def test_the_shipped_completion_template_declares_the_four_fields_it_names() -> None:
    assert COMPLETED.audience == "applicant"
    assert COMPLETED.fields == {"holder_name", "item_name", "certificate_number", "window"}


def test_the_completion_sms_is_signed_by_the_district_bureau_and_says_where_to_collect() -> None:
    rendered = domain.render(COMPLETED, values(), signature=GS_CITY.sms_signature, recipient="13957112345")
    assert rendered == domain.Rendered(
        template="certificate_issued",
        recipient="13957112345",
        text="【拱墅区城市管理局】杭州拱墅区知味观餐饮有限公司您好：您申请的户外招牌设置审批已办结，"
             "证书编号拱城管许字(2026)第000001号。请携带本人身份证件到拱墅区行政服务中心城管窗口（上塘路688号）领取。",
    )


def test_the_land_bureau_signs_its_own_messages() -> None:
    rendered = domain.render(
        COMPLETED,
        values(holder_name="王小明", item_name="国有建设用地使用权首次登记",
               certificate_number="浙(2026)杭州市不动产权第0000001号", window=HZ_LAND.window),
        signature=HZ_LAND.sms_signature, recipient="13800571234")
    assert rendered.text.startswith("【杭州市国土资源局】王小明您好：")
    assert "证书编号浙(2026)杭州市不动产权第0000001号" in rendered.text
    assert "杭州市民中心国土资源窗口（解放东路18号）" in rendered.text
    assert "【拱墅区城市管理局】" not in rendered.text


def test_a_missing_placeholder_value_is_a_clear_error_naming_every_missing_field() -> None:
    incomplete = values()
    del incomplete["certificate_number"], incomplete["window"]
    with pytest.raises(ValidationFailed) as refused:
        domain.render(COMPLETED, incomplete, signature=GS_CITY.sms_signature, recipient="13957112345")
    assert refused.value.message == "template certificate_issued lacks values"
    assert refused.value.fields == {"certificate_number": ["missing"], "window": ["missing"]}


def test_values_the_template_does_not_name_are_ignored() -> None:
    with_extra = values(case_number="GS-2026-000001")
    assert domain.render(COMPLETED, with_extra, signature="【拱墅区城市管理局】", recipient="13957112345") == (
        domain.render(COMPLETED, values(), signature="【拱墅区城市管理局】", recipient="13957112345"))


def test_a_value_containing_braces_is_sent_as_written_not_expanded() -> None:
    rendered = domain.render(COMPLETED, values(holder_name="{window}"), signature="【拱墅区城市管理局】",
                             recipient="13957112345")
    assert rendered.text.startswith("【拱墅区城市管理局】{window}您好：")


def test_a_template_that_renders_to_nothing_but_blanks_is_refused() -> None:
    blank = domain.Template("blank", "applicant", frozenset({"note"}), "{note}")
    with pytest.raises(ValidationFailed) as refused:
        domain.render(blank, {"note": "  "}, signature="【拱墅区城市管理局】", recipient="13957112345")
    assert refused.value.fields == {"text": ["empty"]}


def test_every_bad_template_is_refused_at_load_with_all_its_problems() -> None:
    fields = refusal({
        "case_returned": {"fields": ["holder_name"],
                          "text": "{holder_name}您好：您的申请需补正{missing_materials}，请于{deadline}前提交。"},
        "red_light": {"audience": "staff", "fields": ["post"], "text": "  "},
        "certificate_issued": {"fields": ["holder_name"], "text": "{holder_name}您好：已办结。"},
    })
    assert fields == {
        "case_returned": ["names undeclared field(s): deadline, missing_materials"],
        "red_light": ["empty text"],
    }


def test_an_unbalanced_brace_is_refused_at_load_not_on_every_send() -> None:
    fields = refusal({
        "case_accepted": {"fields": ["holder_name"], "text": "{holder_name您好：您的申请已受理。"},
        "urge": {"audience": "staff", "fields": ["post"], "text": "{post}：案件已超期}，请尽快办理。"},
    })
    assert set(fields) == {"case_accepted", "urge"}
    assert fields["case_accepted"][0].startswith("not a valid template")
    assert fields["urge"][0].startswith("not a valid template")


def test_a_positional_placeholder_is_refused_at_load() -> None:
    fields = refusal({"case_accepted": {"fields": ["holder_name"], "text": "{holder_name}您好：申请编号{}已受理。"}})
    assert fields == {"case_accepted": ["an empty placeholder {} names no field"]}


def test_a_template_with_no_placeholder_at_all_is_fine() -> None:
    templates = domain.parse_templates({"maintenance": {"audience": "staff", "text": "系统将于今晚22:00维护。"}})
    rendered = domain.render(templates["maintenance"], {}, signature="【杭州市国土资源局】", recipient="13800571234")
    assert rendered.text == "【杭州市国土资源局】系统将于今晚22:00维护。"


# --- Chinese SMS on the wire ------------------------------------------------------------------


def test_a_message_of_up_to_seventy_chinese_characters_goes_as_one_ucs2_sms_without_header() -> None:
    text = "您" * 70
    [only] = domain.segments(text, reference=7)
    assert only.payload == text.encode("utf-16-be") and only.esm_class == 0 and only.count == 1


def test_a_longer_message_is_split_in_parts_of_67_characters_each_with_a_concatenation_header() -> None:
    text = "办" * 67 + "结" * 67 + "了"
    parts = domain.segments(text, reference=300)
    assert [len(p.text) for p in parts] == [67, 67, 1]
    assert [p.payload[:6] for p in parts] == [bytes([5, 0, 3, 300 % 256, 3, i]) for i in (1, 2, 3)]
    assert all(p.esm_class == domain.UDHI and len(p.payload) <= 140 for p in parts)
    assert domain.reassemble([parts[2].payload, parts[0].payload, parts[1].payload]) == text


def test_a_character_outside_the_basic_plane_is_never_cut_in_half() -> None:
    text = "王" * 66 + "𠮷" + "好" * 10  # 𠮷 takes two UTF-16 units
    parts = domain.segments(text, reference=1)
    assert parts[0].text == "王" * 66 and parts[1].text.startswith("𠮷")
    assert domain.reassemble([p.payload for p in parts]) == text


def test_a_delivery_receipt_says_which_message_and_whether_it_arrived() -> None:
    receipt = domain.parse_receipt("id:4f2a sub:001 dlvrd:001 submit date:2611271000 done date:2611271000 "
                                   "stat:DELIVRD err:000 text:")
    assert receipt == domain.Receipt("4f2a", "DELIVRD", "000") and receipt.delivered and receipt.final
    assert not domain.parse_receipt("id:9 stat:UNDELIV err:001").delivered
    with pytest.raises(ValidationFailed):
        domain.parse_receipt("hello")


def test_throttling_and_a_full_queue_are_worth_retrying_an_invalid_number_is_not() -> None:
    assert domain.is_transient(0x58) and domain.is_transient(0x14)
    assert not domain.is_transient(0x0B)


def test_retries_back_off_exponentially_up_to_a_cap() -> None:
    from datetime import timedelta

    delays = [domain.retry_delay(n, base=timedelta(seconds=1), cap=timedelta(seconds=10)) for n in range(1, 7)]
    assert [d.total_seconds() for d in delays] == [1, 2, 4, 8, 10, 10]


def test_staff_are_not_woken_at_night_except_for_a_red_light_or_urging() -> None:
    from datetime import UTC, datetime

    from sunlight.calendar import WorkingCalendar

    calendar = WorkingCalendar.default()
    friday_night = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # 22:00 in Hangzhou
    new_task = domain.Template("task_created", "staff", frozenset(), "新任务")
    red = domain.Template("deadline_red", "staff", frozenset(), "红灯")
    applicant = domain.Template("certificate_issued", "applicant", frozenset(), "已办结")
    held = domain.send_not_before(new_task, friday_night, calendar)
    assert held.astimezone(calendar.tz).isoformat().startswith("2026-11-30T")  # Monday morning
    assert held.astimezone(calendar.tz).hour == calendar.office_hours[0][0].hour
    assert domain.send_not_before(red, friday_night, calendar) == friday_night
    assert domain.send_not_before(applicant, friday_night, calendar) == friday_night
    monday_ten = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    assert domain.send_not_before(new_task, monday_ten, calendar) == monday_ten


def test_the_query_code_is_in_the_sms_and_masked_in_the_text_staff_see() -> None:
    rendered = domain.render(SHIPPED["application_received_with_code"], {
        "applicant_name": "王小明", "item_name": "登记", "application_number": "HZ-1",
        "promised_date": "2026年12月1日", "query_code": "739514"},
        signature="【杭州市国土资源局】", recipient="13957112345")
    assert "可凭查询码739514在网上查询" in rendered.text
    assert rendered.shown == rendered.text.replace("739514", "******")


def test_the_acceptance_sms_gets_the_code_intake_sealed_or_sent_in_clear_before_the_seal() -> None:
    sealed = seals.seal(b"intake and notify", "HZ-2026-000001", "739514")
    accepted = {"application_number": "HZ-2026-000001", "sealed_query_code": sealed, "query_code": None}
    assert domain.query_code(accepted, b"intake and notify") == "739514"
    older_intake = {"application_number": "HZ-2026-000001", "query_code": "739514"}
    assert domain.query_code(older_intake, b"intake and notify") == "739514"
    assert domain.query_code({"application_number": "HZ-2026-000001", "query_code": None}, b"") is None


def test_a_seal_notify_cannot_open_gives_no_code_and_says_why() -> None:
    sealed = seals.seal(b"intake's key", "HZ-2026-000001", "739514")
    for secret in (b"notify's other key", b""):
        with pytest.raises(seals.SealBroken):
            domain.query_code({"application_number": "HZ-2026-000001", "sealed_query_code": sealed}, secret)


def test_a_message_without_credentials_is_shown_as_sent() -> None:
    rendered = domain.render(COMPLETED, values(), signature=GS_CITY.sms_signature, recipient="13957112345")
    assert rendered.shown == rendered.text
