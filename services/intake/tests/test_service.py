"""Intake's entrypoints with nameko's worker_factory on a real database (SQLite and PostgreSQL).

Events stay in the outbox (the ``make_store`` fixture holds them), so each test reads exactly what a
window's action wrote: the application or refusal, and the event announcing it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from nameko import config
from nameko.testing.services import worker_factory
from prometheus_client import REGISTRY
from sqlalchemy import text

from intake import service as intake_service
from intake.models import metadata
from intake.service import IntakeService
from intake.settings import MIGRATIONS
from sunlight import seals
from sunlight.db import Store
from sunlight.errors import IncompleteApplication, NotFound, UnknownItem, ValidationFailed
from tools.drive import credit_code, digest, resident_id

SHOP = credit_code("92330105MA2C00001")
PERSON = resident_id("33010619850312001")


@pytest.fixture
def store(make_store: Any) -> Store:
    return make_store(metadata, MIGRATIONS, "intake")


@pytest.fixture
def intake(store: Store) -> Iterator[Any]:
    yield worker_factory(IntakeService, db=store)


def rows(store: Store, sql: str) -> list[Any]:
    with store.engine.connect() as connection:
        return list(connection.execute(text(sql)).all())


def outbox(store: Store) -> list[tuple[str, dict[str, Any]]]:
    return [(r.event_type, json.loads(r.body)) for r in rows(store, "SELECT event_type, body FROM outbox ORDER BY id")]


def shop_sign(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "item_code": "GS-CG-0201",
        "applicant": {"name": "拱墅区湖墅南路小笼包店", "kind": "company", "id_number": SHOP, "mobile": "13957112345"},
        "materials": {code: digest(code) for code in ("application-form", "business-licence", "design-drawing")},
        "channel": "counter", "clerk_id": "window-02", "tenant": "gs-city",
    }
    body.update(changes)
    return body


def mortgage(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "item_code": "HZ-DJ-0201",
        "applicant": {"name": "王小明", "kind": "person", "id_number": PERSON, "mobile": "13800571234"},
        "materials": {code: digest(f"m/{code}") for code in (
            "application-form", "identity", "title-certificate", "mortgage-contract")},
        "form": {"property_use": "housing", "title_number": "浙(2025)杭州市不动产权第0012345号",
                 "secured_amount_yuan": 800000},
    }
    body.update(changes)
    return body


def test_a_walk_in_shop_sign_is_received_at_the_counter_and_handed_to_workflow(intake: Any, store: Store) -> None:
    with config.patch({"QUERY_CODE_SEAL_KEY": "intake and notify"}):
        receipt = intake.submit_application(shop_sign())
    number = receipt["application_number"]
    assert number.startswith("GS-") and receipt["case_number"] == number
    assert (receipt["channel"], receipt["clerk_id"], receipt["fees_due"]) == ("counter", "window-02", [])
    assert receipt["window"].startswith("拱墅区行政服务中心") and len(receipt["query_code"]) == 6
    [(event_type, body)] = outbox(store)
    assert event_type == "application.accepted" and body["case_number"] == number
    # the code is on the receipt; the event, which every queue bound to intake's events gets, carries it sealed
    sealed = body["payload"].pop("sealed_query_code")
    assert "query_code" not in body["payload"] and receipt["query_code"] not in json.dumps(body)
    assert seals.unseal(b"intake and notify", number, sealed) == receipt["query_code"]
    assert body["payload"]["process"] == "shop-sign-approval"
    [row] = rows(store, "SELECT status, clerk_id, channel FROM applications")
    assert tuple(row) == ("accepted", "window-02", "counter")


def test_a_housing_mortgage_receipt_lists_the_80_yuan_fee_with_its_basis(intake: Any) -> None:
    receipt = intake.submit_application(mortgage())
    [fee] = receipt["fees_due"]
    assert (fee["code"], fee["amount_fen"]) == ("registration-fee", 8000)
    page = intake.print_receipt(receipt["application_number"])
    assert receipt["application_number"] in page and receipt["query_code"] in page
    assert "80.00" in page and "发改价规〔2016〕2559号" in page and receipt["promised_date"] in page
    assert "0571-85252525" in page  # the window's contact
    assert intake.get_application(receipt["application_number"], "hz-land")["query_code"] == receipt["query_code"]
    with pytest.raises(NotFound):  # a town office or another bureau does not see Hangzhou's applications
        intake.get_application(receipt["application_number"], "gs-city")


def test_the_same_key_twice_returns_the_first_receipt_and_stores_one_application(intake: Any, store: Store) -> None:
    first = intake.submit_application(shop_sign(idempotency_key="gs-window-02-0001"))
    again = intake.submit_application(shop_sign(idempotency_key="gs-window-02-0001", channel="online"))
    assert again == first
    assert rows(store, "SELECT count(*) FROM applications")[0][0] == 1
    assert len(outbox(store)) == 1


def test_the_same_applicant_item_and_files_without_a_key_are_one_application_within_the_window(
    intake: Any, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = intake.submit_application(mortgage())
    assert intake.submit_application(mortgage())["application_number"] == first["application_number"]
    monkeypatch.setattr(intake_service, "repeat_window", lambda: timedelta(0))
    later = intake.submit_application(mortgage())  # the window has passed: a new application
    assert later["application_number"] != first["application_number"]
    assert rows(store, "SELECT count(*) FROM applications")[0][0] == 2


def test_an_incomplete_application_is_told_everything_at_once_and_nothing_is_stored(
    intake: Any, store: Store
) -> None:
    bad = mortgage(materials={"application-form": digest("x"), "identity": digest("x")},
                   form={"property_use": "garage"}, fees=["expedite-fee"])
    bad["applicant"]["mobile"] = "1380057123"
    with pytest.raises(IncompleteApplication) as notice:
        intake.submit_application(bad)
    assert set(notice.value.fields) == {
        "applicant.mobile", "materials.identity", "materials.title-certificate", "materials.mortgage-contract",
        "form.property_use", "form.title_number", "form.secured_amount_yuan", "fees.expedite-fee"}
    assert rows(store, "SELECT count(*) FROM applications")[0][0] == 0
    assert outbox(store) == []
    assert rows(store, "SELECT count(*) FROM sequences")[0][0] == 0  # no number drawn


def test_the_one_time_notice_is_a_page_listing_every_missing_material_by_name(intake: Any) -> None:
    notice = intake.one_time_notice(shop_sign(materials={}))
    assert notice["complete"] is False
    assert set(notice["problems"]) == {
        "materials.application-form", "materials.business-licence", "materials.design-drawing"}
    for name in ("户外招牌设置申请表", "营业执照", "招牌设计效果图", "一次性告知书", "拱墅区湖墅南路小笼包店"):
        assert name in notice["html"]
    assert intake.one_time_notice(shop_sign())["complete"] is True


@pytest.mark.parametrize(("change", "error", "field"), [
    ({"item_code": "GS-CG-9999"}, UnknownItem, "item_code"),
    ({"tenant": "hz-land"}, IncompleteApplication, "tenant"),
    ({"channel": "counter", "clerk_id": None}, ValidationFailed, "clerk_id"),
    ({"materials": {"application-form": "not-a-digest"}}, ValidationFailed, "materials"),
    ({"materials": {"application-form": {"sha256": digest("a"), "size_bytes": 30 * 1024 * 1024}}},
     IncompleteApplication, "materials.application-form"),
])
def test_bad_input_gets_a_typed_error_naming_the_field_and_stores_nothing(
    intake: Any, store: Store, change: dict[str, Any], error: type[Exception], field: str
) -> None:
    body = {k: v for k, v in shop_sign(**change).items() if v is not None}
    with pytest.raises(error) as failure:
        intake.submit_application(body)
    assert field in failure.value.fields  # type: ignore[attr-defined]
    assert rows(store, "SELECT count(*) FROM applications")[0][0] == 0


def test_a_refusal_needs_a_listed_reason_and_is_filed_for_supervision(intake: Any, store: Store) -> None:
    with pytest.raises(ValidationFailed) as failure:
        intake.refuse_application({"application": shop_sign(), "reason_code": "busy", "reason_text": "",
                                   "clerk_id": "window-02"})
    assert {"reason_code", "reason_text"} <= set(failure.value.fields)
    assert outbox(store) == [] and rows(store, "SELECT count(*) FROM refusals")[0][0] == 0

    labels = {"tenant": "gs-city", "item": "GS-CG-0201", "reason": "outside-remit"}
    before = REGISTRY.get_sample_value("sunlight_applications_refused_total", labels) or 0
    filed = intake.refuse_application({"application": shop_sign(materials={}), "reason_code": "outside-remit",
                                       "reason_text": "临街立面整体改造属规划部门审批事项", "clerk_id": "window-02"})
    assert filed["number"].startswith("GS-") and filed["reason"] == "申请事项依法不属于本机关职权范围"
    [(event_type, body)] = outbox(store)
    assert event_type == "application.refused" and body["payload"]["applicant"]["mobile"] == "13957112345"
    [row] = rows(store, "SELECT reason_code, clerk_id FROM refusals")
    assert tuple(row) == ("outside-remit", "window-02")
    assert REGISTRY.get_sample_value("sunlight_applications_refused_total", labels) == before + 1


def test_a_correction_re_submits_the_missing_file_against_the_same_number(intake: Any, store: Store) -> None:
    number = intake.submit_application(shop_sign())["application_number"]
    corrected = intake.submit_correction({"application_number": number, "clerk_id": "window-02",
                                          "materials": {"owner-consent": digest("consent")}})
    assert corrected["application_number"] == number and "owner-consent" in corrected["materials_received"]
    assert [event_type for event_type, _ in outbox(store)] == ["application.accepted", "application.corrected"]
    with pytest.raises(NotFound):
        intake.submit_correction({"application_number": "GS-2026-999999", "materials": {"x": digest("x")}})
    with pytest.raises(IncompleteApplication):
        intake.submit_correction({"application_number": number, "materials": {"photo": digest("photo")}})
    assert rows(store, "SELECT count(*) FROM corrections")[0][0] == 1


def test_the_public_catalogue_lists_by_tenant_category_and_keyword_and_shows_one_item_in_full(
    intake: Any,
) -> None:
    assert {i["code"] for i in intake.list_items(tenant="gs-city")} == {
        "GS-CG-0201", "GS-CG-0202", "GS-CG-0301", "GS-CG-0401", "GS-CG-0501"}
    assert {i["code"] for i in intake.list_items(category="不动产登记")} == {"HZ-DJ-0101", "HZ-DJ-0102", "HZ-DJ-0201"}
    assert [i["code"] for i in intake.list_items(keyword="渣土")] == ["GS-CG-0301"]
    assert intake.list_items(tenant="jx-land", keyword="抵押") == []
    item = intake.get_item("HZ-DJ-0201")
    assert [b["law"] for b in item["legal_basis"]][0] == "《中华人民共和国民法典》"
    assert [(f["code"], f["amount_fen"], f["when"]) for f in item["fees"]][0] == (
        "registration-fee", 8000, {"field": "property_use", "equals": "housing"})
    assert (item["statutory_days"], item["promised_days"]) == (10, 1)
    with pytest.raises(UnknownItem):
        intake.get_item("NOPE")
