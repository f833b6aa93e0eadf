"""What an applicant may send to intake, and what the receipt looks like on the wire."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any

import pytest

from intake.domain import Receipt, Submission
from intake.schemas import ReceiptSchema, SubmissionSchema
from sunlight.calendar import SHANGHAI
from sunlight.contracts import load_or_fail
from sunlight.errors import ValidationFailed

FORM = hashlib.sha256(b"application-form.pdf").hexdigest()
LICENCE = hashlib.sha256(b"business-licence.pdf").hexdigest()


def application(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "item_code": "HZ-DJ-0101",
        "applicant": {"name": "王小明", "kind": "person", "id_number": "11010519491231002x",
                      "mobile": "13800571234"},
        "materials": {"application-form": FORM, "identity": LICENCE},
        "form": {"parcel": "拱墅区祥符街道 GS-2026-17 地块", "area_m2": 25436.5},
        "idempotency_key": "online-20260925-0001",
    }
    body.update(changes)
    return body


def refused(body: Any) -> dict[str, Any]:
    with pytest.raises(ValidationFailed) as failure:
        load_or_fail(SubmissionSchema(), body, "application")
    assert failure.value.message == "invalid application"
    return failure.value.fields


def test_an_online_application_loads_into_a_submission_with_the_id_upper_cased() -> None:
    loaded = load_or_fail(SubmissionSchema(), application(), "application")
    assert loaded == {
        "submission": Submission(
            item_code="HZ-DJ-0101", applicant_name="王小明", applicant_kind="person",
            id_number="11010519491231002X", mobile="13800571234",
            materials={"application-form": FORM, "identity": LICENCE}, channel="online",
            form={"parcel": "拱墅区祥符街道 GS-2026-17 地块", "area_m2": 25436.5}),
        "idempotency_key": "online-20260925-0001",
    }


def test_a_counter_application_without_materials_or_key_loads_with_empty_defaults() -> None:
    body = application(channel="counter", clerk_id="window-03")
    del body["materials"], body["form"], body["idempotency_key"]
    loaded = load_or_fail(SubmissionSchema(), body, "application")
    assert loaded["submission"].materials == {}
    assert loaded["submission"].form == {}
    assert loaded["submission"].channel == "counter"
    assert loaded["submission"].clerk_id == "window-03"
    assert loaded["idempotency_key"] is None


def test_unknown_fields_are_refused_and_named_at_the_top_and_inside_the_applicant() -> None:
    body = application(fee_paid=True)
    body["applicant"] = {**body["applicant"], "gender": "男"}
    assert refused(body) == {"fee_paid": ["Unknown field."], "applicant": {"gender": ["Unknown field."]}}


def test_every_bad_field_is_named_at_once() -> None:
    body = application(item_code="HZ DJ 0101", channel="wechat",
                       materials={"application-form": "not-a-digest"}, idempotency_key="short")
    body["applicant"] = {**body["applicant"], "kind": "government"}
    fields = refused(body)
    assert set(fields) == {"item_code", "channel", "materials", "idempotency_key", "applicant"}
    assert fields["item_code"] == ["letters, digits, . _ - only"]
    assert fields["channel"] == ["Must be one of: online, counter."]
    assert fields["applicant"] == {"kind": ["Must be one of: person, company."]}
    assert "a sha256 hex digest of the file" in str(fields["materials"])


def test_missing_required_fields_are_all_named() -> None:
    fields = refused({"applicant": {"name": "王小明"}})
    assert fields == {
        "item_code": ["Missing data for required field."],
        "applicant": {"kind": ["Missing data for required field."],
                      "id_number": ["Missing data for required field."],
                      "mobile": ["Missing data for required field."]},
    }


def test_a_body_that_is_not_an_object_is_refused() -> None:
    assert refused(["HZ-DJ-0101"]) == {"_schema": ["Invalid input type."]}


def test_the_receipt_carries_the_promised_date_as_a_date_and_acceptance_with_its_offset() -> None:
    receipt = Receipt(
        application_number="GS-2026-000001", query_code="482913", item_code="GS-CG-0201",
        item_name="户外招牌设置审批", tenant="gs-city",
        accepted_at=datetime(2026, 9, 25, 10, 30, tzinfo=SHANGHAI), promised_date=date(2026, 10, 9),
        materials_received=("application-form", "business-licence", "design-drawing"))
    assert ReceiptSchema().dump(receipt) == {
        "application_number": "GS-2026-000001",
        "query_code": "482913",
        "item_code": "GS-CG-0201",
        "item_name": "户外招牌设置审批",
        "tenant": "gs-city",
        "accepted_at": "2026-09-25T10:30:00+08:00",
        "promised_date": "2026-10-09",
        "materials_received": ["application-form", "business-licence", "design-drawing"],
        "fees_due": [],
        "channel": "online",
        "clerk_id": None,
    }
