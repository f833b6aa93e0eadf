"""The benchmark's driver hears the services' events instead of polling them (bench.events, issue 11).

A clerk acts the instant workflow announces the task; a case costs the services a handful of reads,
not one every 20 ms; and an event that never comes slows the driver down to its fallback read
instead of hanging it.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from typing import Any

import eventlet
import pytest
from kombu import Connection, Producer
from nameko.standalone.events import get_event_exchange

from bench import cases
from bench.calls import entrypoint_calls, per_case
from bench.events import CaseEvents, case_events
from tools.stack import Stack, running_stack


def announce(amqp_uri: str, service: str, event_type: str, case_number: str, **payload: Any) -> None:
    """Publish an event as ``service``'s outbox relay would (its exchange, routing key the event type)."""
    with Connection(amqp_uri) as connection:
        Producer(connection.channel(), exchange=get_event_exchange(service), serializer="json").publish(
            {"event_type": event_type, "case_number": case_number, "payload": payload}, routing_key=event_type)


def heard_by(events: CaseEvents, case_number: str, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(events.heard.get(case_number, [])) < count:
        assert time.monotonic() < deadline, f"the driver never heard {count} event(s) of {case_number}"
        eventlet.sleep(0.01)


@pytest.fixture
def events(amqp_uri: str) -> Iterator[CaseEvents]:
    with case_events(amqp_uri) as started:
        yield started


def test_the_clerk_acts_as_soon_as_workflow_announces_the_task_not_at_the_next_read(
    amqp_uri: str, events: CaseEvents
) -> None:
    with events.watch("GS-2026-000001") as watch:
        eventlet.spawn_after(0.2, announce, amqp_uri, "workflow", "task.created", "GS-2026-000001", task_id="t1")
        started = time.monotonic()
        watch.until("task.created")(10)

        assert time.monotonic() - started < 2


def test_a_task_announced_before_the_clerk_looks_is_not_missed(amqp_uri: str, events: CaseEvents) -> None:
    announce(amqp_uri, "workflow", "task.created", "GS-2026-000002", task_id="t1")
    heard_by(events, "GS-2026-000002", 1)

    with events.watch("GS-2026-000002") as watch:
        started = time.monotonic()
        watch.until("task.created")(10)

        assert time.monotonic() - started < 0.5


def test_news_of_another_case_or_another_sms_leaves_the_driver_to_its_fallback_read(
    amqp_uri: str, events: CaseEvents
) -> None:
    with events.watch("GS-2026-000003") as watch:
        announce(amqp_uri, "notify", "sms.sent", "GS-2026-000003", template="application_accepted")
        announce(amqp_uri, "notify", "sms.sent", "GS-2026-000004", template="certificate_issued")
        started = time.monotonic()
        watch.until("sms.sent:certificate_issued")(1.0)
        waited = time.monotonic() - started

        assert 0.9 <= waited < 3
        assert events.heard["GS-2026-000003"] == ["sms.sent:application_accepted"]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("bench-driver")) as running:
        yield running


@pytest.mark.integration
def test_the_bench_drives_shop_sign_cases_to_their_permit_sms(stack: Stack) -> None:
    before = entrypoint_calls(stack)
    _, latencies = cases.run(stack, 2, 2, first=500)
    calls = per_case(before, entrypoint_calls(stack), 2)

    assert len(latencies) == 2
    assert calls["workflow.complete_task"] == 5, calls
    assert calls.get("notify.messages_for_case", 0) >= 1, calls  # the end state is read from notify itself


@pytest.mark.integration
def test_while_the_permit_is_late_the_driver_asks_notify_about_once_a_second_not_every_20_ms(stack: Stack) -> None:
    registry = stack.processes["registry"]
    with case_events(stack.amqp_uri) as events, stack.rpc_client(timeout=30) as rpc:
        number = rpc.intake.submit_application(cases.application(600))["application_number"]
        with events.watch(number) as watch:
            for task in cases.open_tasks(rpc, watch, "co-review", 4, 30):
                rpc.workflow.complete_task({"task_id": task["task_id"], "post": task["post"], "actor": "审查员",
                                            "decision": "approve", "opinion": "同意"})
            leader = cases.open_tasks(rpc, watch, "approve", 1, 30)[0]
            before = entrypoint_calls(stack)
            registry.send_signal(signal.SIGSTOP)  # the permit, and so its SMS, will be 3 s late
            try:
                rpc.workflow.complete_task({"task_id": leader["task_id"], "post": leader["post"], "actor": "领导",
                                            "decision": "approve", "opinion": "同意。"})
                eventlet.spawn_after(3, registry.send_signal, signal.SIGCONT)
                started = time.monotonic()
                sms = cases.permit_sms(rpc, watch, 30)
                waited = time.monotonic() - started
            finally:
                registry.send_signal(signal.SIGCONT)
    asked = per_case(before, entrypoint_calls(stack), 1)

    assert sms and waited >= 2.5
    # one read at once, one a second while nothing happens, one when notify says it sent the SMS;
    # the driver that polled every 20 ms asked 46 times in these 3 s (a busy machine; more on an idle one)
    assert asked.get("notify.messages_for_case", 0) <= waited + 3, (asked, waited)
