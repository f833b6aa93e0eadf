"""Nothing is lost: a failing handler is retried a bounded number of times, then parked where an
operator can see why and replay it; a malformed event is parked at once; no service crashes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from sunlight.deadletters import list_dead_letters
from sunlight.messaging import QUEUE_HEADER, REASON_HEADER
from tests.integration.support import metric, publish_raw, query
from tools.drive import drive_one, sample_application, wait_for
from tools.stack import ROOT, Stack, python_path

pytestmark = pytest.mark.integration

WORKFLOW_INTAKE_QUEUE = "evt-intake-application.accepted--workflow.on_application_accepted"
REGISTRY_QUEUE = "evt-workflow-case.approved--registry.on_case_approved"


def parked(stack: Stack, service: str, count: int = 1) -> list[Any]:
    return wait_for(lambda: letters if len(letters := list_dead_letters(stack.amqp_uri, service)) >= count else None,
                    timeout=20, what=f"{count} dead letter(s) in dlq.{service}", every=0.2)


def audited(stack: Stack, case_number: str, event_type: str) -> str:
    """The body of an event as the audit log recorded it, once it has."""
    rows = wait_for(lambda: query(stack, "supervision", "SELECT body FROM audit_log WHERE case_number = :n "
                                  "AND event_type = :t", n=case_number, t=event_type) or None,
                    timeout=15, what=f"{event_type} of {case_number} in the audit log")
    return str(rows[0].body)


def test_a_malformed_event_is_parked_at_once_with_the_reason_and_nothing_crashes(stack: Stack, rpc: Any) -> None:
    publish_raw(stack, "intake", "application.accepted", {"event_type": "application.accepted", "event_id": "nope"})

    [letter] = parked(stack, "workflow")
    assert letter.queue == WORKFLOW_INTAKE_QUEUE
    assert letter.attempts == 1  # a malformed event cannot get better by waiting
    assert letter.reason.startswith("ValidationFailed") and "event_id" in letter.reason
    assert any("ValidationFailed" in d.reason for d in parked(stack, "supervision"))  # the auditor refused it too
    assert any("ValidationFailed" in d.reason for d in parked(stack, "registry"))  # and registry, which reads fees

    assert drive_one(rpc, sample_application(1)).certificate["number"]  # everyone still at work


def test_a_handler_that_keeps_failing_is_retried_a_bounded_number_of_times_then_parked(
    stack: Stack, rpc: Any
) -> None:
    receipt = rpc.intake.submit_application(sample_application(3))
    event = json.loads(audited(stack, receipt["application_number"], "application.accepted"))
    event["event_id"] = str(uuid.uuid4())
    event["case_number"] = event["payload"]["application_number"] = "GS-2026-900001"
    event["payload"]["process"] = "harbour-dredging-permit"  # a process workflow has not been given

    publish_raw(stack, "intake", "application.accepted", event)

    [letter] = [d for d in parked(stack, "workflow", 2) if d.event_id == event["event_id"]]
    assert letter.attempts == 5  # EVENT_MAX_ATTEMPTS
    assert "harbour-dredging-permit" in letter.reason
    assert metric(stack, "workflow", "sunlight_events_retried_total", queue=WORKFLOW_INTAKE_QUEUE) == 4
    assert query(stack, "workflow", "SELECT 1 FROM cases WHERE case_number = 'GS-2026-900001'") == []


def test_a_replayed_dead_letter_goes_back_to_its_handler_and_takes_effect(stack: Stack, rpc: Any) -> None:
    done = drive_one(rpc, sample_application(5))
    # registry issues only for a case whose listed fees it knows: it has seen the acceptance
    acceptance = json.loads(audited(stack, done.number, "application.accepted"))
    acceptance["event_id"] = str(uuid.uuid4())
    acceptance["case_number"] = acceptance["payload"]["application_number"] = "GS-2026-900002"
    publish_raw(stack, "intake", "application.accepted", acceptance)
    wait_for(lambda: query(stack, "registry", "SELECT 1 FROM case_files WHERE case_number = 'GS-2026-900002'")
             or None, timeout=15, what="registry to learn the case")
    event = json.loads(audited(stack, done.number, "case.approved"))
    event["event_id"] = str(uuid.uuid4())
    event["case_number"] = "GS-2026-900002"
    _park(stack, "registry", REGISTRY_QUEUE, event, reason="OperationalError: database is locked")
    assert event["event_id"] in [d.event_id for d in parked(stack, "registry")]

    replay = subprocess.run(
        [sys.executable, "-m", "sunlight.deadletters", "replay", "registry"],
        env={**os.environ, "PYTHONPATH": python_path(), "AMQP_URI": stack.amqp_uri},
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=True,
    )

    assert "replayed" in replay.stderr
    certificate = wait_for(lambda: rpc.registry.certificate_for_case("GS-2026-900002"), timeout=15,
                           what="the replayed approval to issue its permit")
    assert certificate["number"].startswith("拱城管(招牌)许字(2026)第")  # the shop-sign series
    # only the malformed event of the first test, replayed too, is parked again
    assert event["event_id"] not in [d.event_id for d in list_dead_letters(stack.amqp_uri, "registry")]


def _park(stack: Stack, service: str, queue: str, body: dict[str, Any], reason: str) -> None:
    """Put a message on a dead-letter queue exactly as a handler that gave up would."""
    from kombu import Connection, Producer

    from sunlight.messaging import ATTEMPTS_HEADER, FAILED_AT_HEADER, dead_letter_queue

    with Connection(stack.amqp_uri, transport_options={"confirm_publish": True}) as connection:
        dlq = dead_letter_queue(service)
        Producer(connection.channel()).publish(
            body, exchange="", routing_key=dlq.name, serializer="json", delivery_mode=2, declare=[dlq],
            headers={QUEUE_HEADER: queue, REASON_HEADER: reason, ATTEMPTS_HEADER: 5,
                     FAILED_AT_HEADER: datetime.now(UTC).isoformat()},
        )


def test_an_event_a_crash_left_in_the_outbox_is_published_by_the_relay_timer(stack: Stack, rpc: Any) -> None:
    """Committed but never published (the process died between commit and publish): the timer sends it."""
    from datetime import timedelta

    from sqlalchemy import create_engine, insert

    from intake.models import metadata

    receipt = rpc.intake.submit_application(sample_application(7))
    event = json.loads(audited(stack, receipt["application_number"], "application.accepted"))
    event["event_id"] = str(uuid.uuid4())
    event["case_number"] = event["payload"]["application_number"] = "GS-2026-800001"
    engine = create_engine(stack.db_uris["intake"])
    try:
        with engine.begin() as connection:
            connection.execute(insert(metadata.tables["outbox"]).values(
                event_id=event["event_id"], event_type=event["event_type"], body=json.dumps(event),
                created_at=datetime.now(UTC) - timedelta(minutes=1), attempts=0,
            ))
    finally:
        engine.dispose()

    case = wait_for(lambda: rpc.workflow.get_case("GS-2026-800001"), timeout=20,
                    what="workflow to open the case the relay published")
    assert case["status"] == "open"
    assert wait_for(lambda: query(stack, "intake", "SELECT published_at FROM outbox WHERE event_id = :e",
                                  e=event["event_id"])[0].published_at, timeout=10, what="the relayed event marked")
