"""What crosses the wire: the event envelope, each event's payload schema, and the one-time notice.

A consumer must get back exactly the event the publisher decided on, and must refuse a malformed
one with a ValidationFailed that names the offending field (it then goes to the dead-letter queue).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from sunlight import contracts
from sunlight.contracts import (
    APPLICATION_ACCEPTED,
    APPLICATION_CORRECTED,
    APPLICATION_REFUSED,
    CASE_APPROVED,
    CASE_OPENED,
    CASE_REJECTED,
    CERTIFICATE_ISSUED,
    MORTGAGE_REGISTERED,
    MORTGAGE_RELEASED,
    PAYLOAD_SCHEMAS,
    PAYMENT_RECORDED,
    PAYMENT_REFUNDED,
    PUBLISHERS,
    SCHEMA_VERSION,
    SMS_DELIVERED,
    SMS_FAILED,
    SMS_SENT,
    TASK_COMPLETED,
    TASK_CREATED,
    ApplicantContact,
    Event,
    load_or_fail,
    mask_mobile,
    new_event,
)
from sunlight.errors import ValidationFailed

SHANGHAI = timezone(timedelta(hours=8))
NOW = datetime(2025, 3, 3, 9, 30, tzinfo=SHANGHAI)
APPLICANT = {"name": "张三", "mobile": "13800000000"}

#: one valid payload of every event type, as the publishing service's domain would decide it
PAYLOADS: dict[str, dict[str, Any]] = {
    APPLICATION_ACCEPTED: {
        "application_number": "XZ-2025-000001",
        "item_code": "shop-sign",
        "item_name": "户外招牌设置审批",
        "tenant": "xz",
        "process": "two-stage",
        "applicant": APPLICANT,
        "accepted_at": NOW,
        "promised_date": date(2025, 3, 14),
        "certificate_kind": "permit",
        "fees_due": [{"name": "工本费", "amount": "0"}],
        "form": {"project_code": "2025-330100-47-01-000001"},
    },
    CASE_OPENED: {"item_code": "shop-sign", "tenant": "xz", "definition": "two-stage", "definition_version": 1},
    TASK_CREATED: {"task_id": "t-1", "stage": "review", "post": "reviewer", "due_at": NOW + timedelta(days=3),
                   "branch": "commerce", "added_by": ""},
    TASK_COMPLETED: {
        "task_id": "t-1",
        "stage": "review",
        "post": "reviewer",
        "actor": "li.si",
        "decision": "approve",
        "opinion": "材料齐全",
        "branch": "",
        "due_at": NOW + timedelta(days=3),
        "working_seconds": 3600.0,
        "overdue": False,
        "case_working_seconds": 7200.0,
    },
    CASE_APPROVED: {
        "item_code": "shop-sign",
        "item_name": "户外招牌设置审批",
        "tenant": "xz",
        "applicant": APPLICANT,
        "certificate_kind": "permit",
        "decided_at": NOW,
        "reason": "",
    },
    CASE_REJECTED: {
        "item_code": "shop-sign",
        "item_name": "户外招牌设置审批",
        "tenant": "xz",
        "applicant": APPLICANT,
        "certificate_kind": "permit",
        "decided_at": NOW,
        "reason": "招牌尺寸超标",
    },
    CERTIFICATE_ISSUED: {
        "certificate_number": "XZ-PERMIT-2025-0001",
        "kind": "permit",
        "item_name": "户外招牌设置审批",
        "tenant": "xz",
        "holder": APPLICANT,
        "issued_at": NOW,
    },
    SMS_SENT: {"message_id": 7, "template": "accepted", "recipient": "138****0000", "provider": "fake"},
    # registry (issue 6)
    PAYMENT_RECORDED: {"payment_id": 1, "fee_code": "registration", "amount_fen": 8000, "tenant": "xz",
                       "paid_at": NOW, "all_paid": True},
    PAYMENT_REFUNDED: {"payment_id": 1, "fee_code": "registration", "amount_fen": 8000, "tenant": "xz",
                       "refunded_at": NOW, "reason": "申请人撤回申请"},
    MORTGAGE_REGISTERED: {"mortgage_number": "浙(2025)杭州市不动产证明第0000001号",
                          "title_number": "浙(2025)杭州市不动产权第0000001号", "rank": 1,
                          "amount_fen": 500_000_000, "tenant": "xz", "registered_at": NOW},
    MORTGAGE_RELEASED: {"mortgage_number": "浙(2025)杭州市不动产证明第0000001号",
                        "title_number": "浙(2025)杭州市不动产权第0000001号", "tenant": "xz",
                        "released_at": NOW},
}

# supervision's lights and urging
_STAGE = {"target": "HZ-2026-000001.handle.1", "stage": "handle", "post": "hz-land/registration/clerk",
          "tenant": "hz-land", "item_code": "HZ-DJ-0101", "kind": "case"}
PAYLOADS.update({
    contracts.DEADLINE_PROMPTED: {**_STAGE, "due_at": NOW, "urging_deadline": None},
    contracts.DEADLINE_YELLOW: {**_STAGE, "due_at": NOW, "urging_deadline": None},
    contracts.DEADLINE_RED: {**_STAGE, "due_at": NOW, "urging_deadline": NOW},
    contracts.CASE_URGED: {**_STAGE, "urged_by": "hz-land/supervision/supervisor", "deadline": NOW, "note": "请加快"},
})

# --- workflow actions (issue 5) -------------------------------------------------------------------
_MOVED = {"task_id": "t-1", "stage": "review", "from_post": "xz/a/reviewer", "to_post": "xz/a/reviewer-b",
          "actor": "li.si", "reason": "出差"}
PAYLOADS.update({
    "case.returned": {"task_id": "t-1", "stage": "review", "post": "reviewer", "actor": "li.si",
                      "missing": ["design-drawing"], "reason": "效果图缺尺寸", "applicant": APPLICANT},
    "case.suspended": {"stage": "review", "actor": "li.si", "cause": "expert-review", "reason": "专家论证"},
    "case.resumed": {"stage": "review", "actor": "applicant", "after": "returned", "stopped_working_seconds": 27000.0},
    "case.withdrawn": {"actor": "applicant", "reason": "不再设置", "stage": "review"},
    "task.claimed": {"task_id": "t-1", "stage": "review", "post": "reviewer", "actor": "li.si"},
    "task.transferred": _MOVED,
    "task.delegated": _MOVED,
})

# notify's delivery outcomes (issue 7)
PAYLOADS.update({
    SMS_DELIVERED: {"message_id": 7, "template": "certificate_issued", "recipient": "138****0000", "provider": "smpp"},
    SMS_FAILED: {"message_id": 8, "template": "application_received", "recipient": "139****0000", "provider": "smpp",
                 "reason": "SMSC refused (0x0000000B) Invalid Destination Address", "stage": "submit"},
})

# intake (issue 4)
PAYLOADS[APPLICATION_ACCEPTED]["query_code"] = "482913"
PAYLOADS[APPLICATION_ACCEPTED]["permit_series"] = ""  # titles and unseried permits
PAYLOADS[APPLICATION_ACCEPTED]["query_code_digest"] = "9f" * 32  # HMAC of the code (sunlight.querycodes)
PAYLOADS[contracts.RATING_RECEIVED] = {"level": 2, "bad": True, "tenant": "xz", "item_code": "shop-sign",
                                       "comment": "等了太久", "rectification_due": NOW}
# supervision's violations and complaints (信访)
PAYLOADS[contracts.VIOLATION_RAISED] = {"kind": "unassigned-post", "target": "XZ-2025-000001.review.1",
                                        "tenant": "xz", "evidence": [12, 15], "detail": "审批岗越权办理"}
# raised too early: the task.transferred delivered late (seq 19) shows the post was the assigned one
PAYLOADS[contracts.VIOLATION_WITHDRAWN] = {"kind": "unassigned-post", "target": "XZ-2025-000001.review.1",
                                           "tenant": "xz", "evidence": [19], "raised_at": NOW,
                                           "detail": "迟到的转办记录表明并非越权"}
PAYLOADS[contracts.COMPLAINT_FILED] = {"tenant": "xz", "complainant": APPLICANT, "subject": "审批超期",
                                       "handler_post": "xz/petition-office/handler", "deadline": NOW,
                                       "about_case": "XZ-2025-000001"}
PAYLOADS[contracts.COMPLAINT_RESOLVED] = {"tenant": "xz", "handler_post": "xz/petition-office/handler",
                                          "late": False, "complainant": APPLICANT}
PAYLOADS[APPLICATION_REFUSED] = {
    "application_number": "XZ-2025-000002", "item_code": "shop-sign", "item_name": "户外招牌设置审批",
    "tenant": "xz", "applicant": APPLICANT, "reason_code": "outside-remit", "reason": "不属于本机关职权范围",
    "reason_text": "临街立面改造属规划部门审批", "clerk_id": "window-01", "channel": "counter", "refused_at": NOW,
}
PAYLOADS[APPLICATION_CORRECTED] = {
    "application_number": "XZ-2025-000001", "item_code": "shop-sign", "tenant": "xz", "applicant": APPLICANT,
    "materials": ["design-drawing"], "corrected_at": NOW, "clerk_id": None,
}
PAYLOADS[contracts.ACCESS_DENIED] = {
    "username": "hz-reviewer", "role": "reviewer", "tenant": "hz-land", "method": "GET", "path": "/api/tasks",
    "reason": "post gs-city/approval-section/reviewer is in tenant gs-city, not hz-land",
}

# a complaint's lights and urging travel as a case's do, with kind "complaint" (the number is the complaint's)
_COMPLAINT_STAGE = {"target": "handling", "stage": "complaint-handling", "post": "xz/petition-office/handler",
                    "tenant": "xz", "item_code": "complaint", "kind": "complaint"}


def test_a_complaint_light_and_urging_say_they_are_about_a_complaint_and_a_case_light_defaults_to_case() -> None:
    yellow = wire(new_event(contracts.DEADLINE_YELLOW, "XZ-XF-2025-000001",
                            {**_COMPLAINT_STAGE, "due_at": NOW, "urging_deadline": None}, NOW).to_message())
    assert Event.from_message(yellow).payload["kind"] == "complaint"
    urged = wire(new_event(contracts.CASE_URGED, "XZ-XF-2025-000001", {
        **_COMPLAINT_STAGE, "urged_by": "xz/supervision/supervisor", "deadline": NOW}, NOW).to_message())
    assert Event.from_message(urged).payload["kind"] == "complaint"
    older = wire(new_event(contracts.DEADLINE_YELLOW, "XZ-2025-000001", PAYLOADS[contracts.DEADLINE_YELLOW],
                           NOW).to_message())
    older["payload"].pop("kind")  # as recorded before lights had a kind
    assert Event.from_message(older).payload["kind"] == "case"
    with pytest.raises(ValidationFailed) as bad:
        Event.from_message({**yellow, "payload": {**yellow["payload"], "kind": "letter"}})
    assert "kind" in bad.value.fields


REQUIRED_FIELDS = [
    (event_type, name)
    for event_type, schema in sorted(PAYLOAD_SCHEMAS.items())
    for name, declared in schema().fields.items()
    if declared.required
]


def wire(body: dict[str, Any]) -> Any:
    """What a consumer receives: the body after a JSON trip through the broker."""
    return json.loads(json.dumps(body, ensure_ascii=False))


def accepted_message(**changes: Any) -> dict[str, Any]:
    body = wire(new_event(APPLICATION_ACCEPTED, "XZ-2025-000001", PAYLOADS[APPLICATION_ACCEPTED], NOW).to_message())
    body.update(changes)
    return body


def test_every_event_type_has_a_sample_payload() -> None:
    assert set(PAYLOADS) == set(PAYLOAD_SCHEMAS)


@pytest.mark.parametrize("event_type", sorted(PAYLOAD_SCHEMAS))
def test_an_event_reaches_the_consumer_exactly_as_published(event_type: str) -> None:
    published = new_event(event_type, "XZ-2025-000001", PAYLOADS[event_type], NOW)

    received = Event.from_message(wire(published.to_message()))

    assert received == published
    assert received.source == PUBLISHERS[event_type]
    assert received.schema_version == SCHEMA_VERSION
    assert received.occurred_at.utcoffset() is not None


def test_the_envelope_carries_id_case_number_time_in_utc_and_version() -> None:
    event = new_event(CASE_OPENED, "XZ-2025-000001", PAYLOADS[CASE_OPENED], NOW)

    body = event.to_message()

    assert uuid.UUID(body["event_id"])
    assert body["case_number"] == "XZ-2025-000001"
    assert body["occurred_at"] == "2025-03-03T01:30:00+00:00"
    assert body["schema_version"] == SCHEMA_VERSION
    assert body["event_type"] == CASE_OPENED


def test_an_event_without_a_case_number_is_allowed() -> None:
    event = new_event(SMS_SENT, None, PAYLOADS[SMS_SENT], NOW)

    assert Event.from_message(wire(event.to_message())).case_number is None


def test_each_event_gets_its_own_id() -> None:
    first = new_event(CASE_OPENED, "A", PAYLOADS[CASE_OPENED], NOW)
    second = new_event(CASE_OPENED, "A", PAYLOADS[CASE_OPENED], NOW)

    assert first.event_id != second.event_id


def test_an_unknown_event_type_cannot_be_built() -> None:
    with pytest.raises(ValueError, match="case.reopened"):
        new_event("case.reopened", "A", {}, NOW)


def test_a_publisher_cannot_emit_a_payload_missing_a_required_field() -> None:
    payload = dict(PAYLOADS[TASK_CREATED])
    del payload["due_at"]

    with pytest.raises(ValidationFailed) as refused:
        new_event(TASK_CREATED, "A", payload, NOW).to_message()

    assert "due_at" in refused.value.fields


def test_a_message_without_event_id_is_refused_naming_the_field() -> None:
    body = accepted_message()
    del body["event_id"]

    with pytest.raises(ValidationFailed) as refused:
        Event.from_message(body)

    assert set(refused.value.fields) == {"event_id"}


def test_a_message_of_another_schema_version_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationFailed) as refused:
        Event.from_message(accepted_message(schema_version=SCHEMA_VERSION + 1))

    assert set(refused.value.fields) == {"schema_version"}


def test_a_message_with_a_naive_timestamp_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        Event.from_message(accepted_message(occurred_at="2025-03-03T01:30:00"))

    assert set(refused.value.fields) == {"occurred_at"}


def test_a_message_of_an_unknown_event_type_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        Event.from_message(accepted_message(event_type="case.reopened"))

    assert set(refused.value.fields) == {"event_type"}


def test_a_message_with_a_bad_payload_field_is_refused_naming_that_field() -> None:
    body = accepted_message()
    body["payload"]["applicant"]["mobile"] = "12345"
    body["payload"]["promised_date"] = "next tuesday"

    with pytest.raises(ValidationFailed) as refused:
        Event.from_message(body)

    assert set(refused.value.fields) == {"applicant", "promised_date"}
    assert set(refused.value.fields["applicant"]) == {"mobile"}


def test_an_event_with_a_field_its_schema_does_not_declare_never_leaves_its_publisher() -> None:
    """The publisher is the strict side: an ID number slipped into a payload is refused before it is sent."""
    payload = {**PAYLOADS[APPLICATION_ACCEPTED], "id_number": "110101199001011234"}
    payload["applicant"] = {**payload["applicant"], "id_number": "110101199001011234"}

    with pytest.raises(ValidationFailed) as refused:
        new_event(APPLICATION_ACCEPTED, "XZ-2025-000001", payload, NOW).to_message()

    assert refused.value.fields == {"id_number": ["Unknown field."], "applicant": {"id_number": ["Unknown field."]}}


def test_a_message_from_a_newer_publisher_is_taken_and_what_this_version_does_not_know_left_out() -> None:
    """A rolling upgrade: a newer intake adds an optional field (and the envelope one) before every consumer
    knows it. Refused, each of its events would go to the dead-letter queue of every older consumer."""
    body = accepted_message(trace_id="4bf92f3577b34da6")
    body["payload"]["pickup_window"] = "拱墅区行政服务中心 3 号窗口"
    body["payload"]["applicant"]["preferred_name"] = "王"

    received = Event.from_message(body)

    assert received.payload == Event.from_message(accepted_message()).payload
    assert received.event_id == body["event_id"]


def test_a_newer_publishers_message_still_needs_every_field_this_version_requires() -> None:
    body = accepted_message()
    body["payload"]["pickup_window"] = "3 号窗口"
    del body["payload"]["tenant"]

    with pytest.raises(ValidationFailed) as refused:
        Event.from_message(body)

    assert set(refused.value.fields) == {"tenant"}


@pytest.mark.parametrize("body", [None, "application.accepted", ["event_id"]])
def test_a_body_that_is_not_an_object_is_refused(body: Any) -> None:
    with pytest.raises(ValidationFailed) as refused:
        Event.from_message(body)

    assert "_schema" in refused.value.fields


@pytest.mark.parametrize("event_type", sorted(PAYLOAD_SCHEMAS))
def test_each_sample_payload_is_valid(event_type: str) -> None:
    schema = PAYLOAD_SCHEMAS[event_type]()

    assert schema.validate(schema.dump(PAYLOADS[event_type])) == {}


@pytest.mark.parametrize(("event_type", "missing"), REQUIRED_FIELDS)
def test_each_payload_schema_refuses_a_missing_required_field(event_type: str, missing: str) -> None:
    schema = PAYLOAD_SCHEMAS[event_type]()
    payload = schema.dump(PAYLOADS[event_type])
    del payload[missing]

    with pytest.raises(ValidationFailed) as refused:
        load_or_fail(schema, payload, event_type)

    assert set(refused.value.fields) == {missing}


def test_load_or_fail_names_every_bad_field_at_once() -> None:
    schema = PAYLOAD_SCHEMAS[TASK_COMPLETED]()
    payload = schema.dump(PAYLOADS[TASK_COMPLETED])
    del payload["actor"]
    payload["decision"] = "maybe"
    payload["stage"] = 42

    with pytest.raises(ValidationFailed) as refused:
        load_or_fail(schema, payload, "task completion")

    assert set(refused.value.fields) == {"actor", "decision", "stage"}
    assert refused.value.message == "invalid task completion"
    assert refused.value.to_dict()["error"] == "validation_failed"


def test_load_or_fail_hands_back_the_loaded_values() -> None:
    loaded = load_or_fail(ApplicantContact(), {"name": "李四", "mobile": "13912345678"}, "contact")

    assert loaded == {"name": "李四", "mobile": "13912345678"}


@pytest.mark.parametrize("mobile", ["12800000000", "1380000000", "138000000001", "138-0000-000"])
def test_a_contact_with_an_impossible_mobile_is_refused(mobile: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        load_or_fail(ApplicantContact(), {"name": "李四", "mobile": mobile}, "contact")

    assert set(refused.value.fields) == {"mobile"}


@pytest.mark.parametrize(
    ("mobile", "shown"),
    [("13800000000", "138****0000"), ("13912345678", "139****5678"), ("1234567", "123****4567"), ("123", "***")],
)
def test_mask_mobile_shows_only_the_first_three_and_last_four_digits(mobile: str, shown: str) -> None:
    assert mask_mobile(mobile) == shown


def test_an_occurred_at_in_another_zone_is_the_same_instant_after_the_trip() -> None:
    event = new_event(CASE_OPENED, "A", PAYLOADS[CASE_OPENED], NOW)

    received = Event.from_message(wire(event.to_message()))

    assert received.occurred_at == NOW
    assert received.occurred_at.astimezone(UTC).hour == 1


def test_event_ids_are_distinct_random_uuids_that_every_consumer_accepts() -> None:
    ids = [contracts.new_event_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)
    assert {text[19] for text in ids} == set("89ab")  # every variant digit turns up, none other
