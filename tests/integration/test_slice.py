"""The walking skeleton, end to end: one application from the window to the SMS, through real processes.

All five services run as ``nameko run`` processes against the local RabbitMQ and Redis, once with
SQLite files and once with PostgreSQL databases; each assertion reads a service's own database.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sunlight.errors import IncompleteApplication, ValidationFailed
from tests.integration.support import metric, publish_raw, query, trail_problems
from tools.drive import drive_one, sample_application, wait_for
from tools.stack import SERVICES, Stack

pytestmark = pytest.mark.integration



def test_an_application_travels_from_the_window_to_the_applicants_phone(stack: Stack, rpc: Any) -> None:
    outcome = drive_one(rpc, sample_application(0))  # large-parcel land registration, Hangzhou
    number = outcome.number

    assert number.startswith("HZ-")
    [application] = query(stack, "intake", "SELECT status, promised_date FROM applications WHERE number = :n", n=number)
    assert application.status == "accepted"

    [case] = query(stack, "workflow", "SELECT status, closed_at FROM cases WHERE case_number = :n", n=number)
    assert case.status == "approved" and case.closed_at is not None
    tasks = query(stack, "workflow",
                  "SELECT stage, status FROM tasks WHERE case_number = :n ORDER BY opened_at", n=number)
    # the large-parcel fast track (seed 000): one accept, one handle, one approve
    assert [(t.stage, t.status) for t in tasks] == [("accept", "completed"), ("handle", "completed"),
                                                      ("approve", "completed")]

    [certificate] = query(stack, "registry", "SELECT number FROM certificates WHERE case_number = :n", n=number)
    assert certificate.number.startswith("浙(2026)杭州市不动产权第") and certificate.number.endswith("号")

    [message] = query(stack, "notify", "SELECT status, recipient, text FROM messages WHERE case_number = :n "
                      "AND template = 'certificate_issued'", n=number)
    assert message.status == "sent"
    assert message.recipient == sample_application(0)["applicant"]["mobile"]
    assert certificate.number in message.text and message.text.startswith("【杭州市国土资源局】")

    trail = query(stack, "supervision",
                  "SELECT event_type FROM audit_log WHERE case_number = :n ORDER BY seq", n=number)
    # concurrent workers record events published together in either order; the set is what must hold
    kinds = [row.event_type for row in trail]
    assert trail_problems(kinds) == [] and kinds.count("task.created") == 3
    fees = outcome.receipt["fees_due"]
    assert fees and [row.event_type for row in trail].count("payment.recorded") == len(fees)
    sent = query(stack, "notify", "SELECT count(*) FROM messages WHERE case_number = :n AND status = 'sent'", n=number)
    assert [row.event_type for row in trail].count("sms.sent") == sent[0][0]
    assert rpc.supervision.verify_audit_chain()["ok"] is True

    for service in ("intake", "workflow", "registry", "notify"):
        # confirmed events are marked by the service's next commit or its relay timer, within seconds
        wait_for(lambda s=service: query(stack, s, "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0] == 0
                 or None, timeout=10, what=f"{service}'s outbox to be marked published")


def test_one_case_can_be_followed_through_every_services_log(stack: Stack, rpc: Any) -> None:
    number = drive_one(rpc, sample_application(6)).number

    def lines(service: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in stack.log(service).splitlines() if line.startswith("{")]

    sms = [line for line in lines("notify") if line.get("case_number") == number and "SMS to" in line["message"]
           and line.get("event_type") == "certificate.issued"]
    # one line per SMS segment (a long Chinese text goes in 67-character parts), all tagged alike
    assert sms, "the completion SMS is logged, tagged with its case and event"
    assert len({line["event_id"] for line in sms}) == 1 and all(line["service"] == "notify" for line in sms)
    assert len(sms[0]["event_id"]) == 36
    assert all("ts" in line and "level" in line for service in SERVICES for line in lines(service))


def test_an_approval_delivered_twice_issues_one_certificate_and_one_sms(stack: Stack, rpc: Any) -> None:
    outcome = drive_one(rpc, sample_application(1))  # shop sign, Gongshu
    number = outcome.number
    [approved] = query(stack, "supervision",
                       "SELECT body FROM audit_log WHERE case_number = :n AND event_type = 'case.approved'", n=number)

    publish_raw(stack, "workflow", "case.approved", json.loads(approved.body))
    for service, consumer in (("registry", "on_case_approved"), ("supervision", "record_event")):
        wait_for(lambda s=service, c=consumer: metric(stack, s, "sunlight_events_duplicate_total",
                                                     service=s, consumer=c) or None,
                 timeout=15, what=f"{service} to skip the redelivered approval")

    assert len(query(stack, "registry", "SELECT 1 FROM certificates WHERE case_number = :n", n=number)) == 1
    assert len(query(stack, "notify", "SELECT 1 FROM messages WHERE case_number = :n "
                                      "AND template = 'certificate_issued'", n=number)) == 1
    trail = query(stack, "supervision", "SELECT event_type FROM audit_log WHERE case_number = :n", n=number)
    assert [row.event_type for row in trail].count("case.approved") == 1


def test_a_malformed_rpc_payload_gets_a_typed_error_naming_each_field(stack: Stack, rpc: Any) -> None:
    with pytest.raises(ValidationFailed) as bad:
        rpc.intake.submit_application({"item_code": "HZ-DJ-0101", "colour": "red"})
    assert {"applicant", "colour"} <= set(bad.value.fields)

    with pytest.raises(ValidationFailed) as bad_task:
        rpc.workflow.complete_task({"task_id": "x", "post": "p", "actor": "a", "decision": "maybe"})
    assert "decision" in bad_task.value.fields

    incomplete = sample_application(2)
    del incomplete["materials"]["grant-contract"], incomplete["materials"]["parcel-map"]
    with pytest.raises(IncompleteApplication) as missing:
        rpc.intake.submit_application(incomplete)
    listed = str(missing.value.fields)
    assert "国有建设用地使用权出让合同" in listed and "宗地图及界址点坐标" in listed

    # and the window still works afterwards
    assert rpc.intake.submit_application(sample_application(4))["application_number"].startswith("HZ-")
