"""The outbox relay against a real RabbitMQ: what a unit of work committed reaches the broker once.

Intake accepts a shop-sign application; its ``application.accepted`` event must appear on the
``intake.events`` exchange under its own routing key, be marked published, and never go twice.
With the broker down the acceptance still stands and the event waits in the outbox for the timer.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange
from prometheus_client import REGISTRY
from sqlalchemy import select

from conftest import StoreFactory
from intake.models import metadata, outbox
from intake.settings import MIGRATIONS
from sunlight.contracts import APPLICATION_ACCEPTED, CASE_OPENED, Event, new_event
from sunlight.db import Store
from sunlight.outbox import OutboxRelay

SHANGHAI = timezone(timedelta(hours=8))
ACCEPTED_AT = datetime(2025, 3, 3, 9, 30, tzinfo=SHANGHAI)
UNREACHABLE = "amqp://guest:guest@127.0.0.1:1/"


def accepted_event(number: str = "XZ-2025-000001") -> Event:
    payload = {
        "application_number": number,
        "item_code": "shop-sign",
        "item_name": "户外招牌设置审批",
        "tenant": "xz",
        "process": "two-stage",
        "applicant": {"name": "张三", "mobile": "13800000000"},
        "accepted_at": ACCEPTED_AT,
        "promised_date": date(2025, 3, 14),
        "certificate_kind": "permit",
        "fees_due": [],
        "form": {},
        "query_code": "482913",
        "permit_series": "招牌",
    }
    return new_event(APPLICATION_ACCEPTED, number, payload, ACCEPTED_AT)


@pytest.fixture
def store(make_store: StoreFactory) -> Store:
    """Intake's store; its own relay holds events, so each test decides when to publish."""
    return make_store(metadata, MIGRATIONS, "intake")


@pytest.fixture
def relay(store: Store, amqp_uri: str) -> OutboxRelay:
    return OutboxRelay(store.engine, outbox, "intake", amqp_uri)


@pytest.fixture
def listener(amqp_uri: str) -> Iterator[Queue]:
    """A queue bound to every event intake publishes, as a consumer service would bind one."""
    with Connection(amqp_uri) as connection:
        queue = Queue(
            "test-listener", exchange=get_event_exchange("intake"), routing_key="#", channel=connection.channel()
        )
        queue.declare()
        yield queue


def received(queue: Queue, expected: int, wait_seconds: float = 5.0) -> list[Any]:
    """Every message on the queue: ``expected`` of them, then make sure no more arrive."""
    messages: list[Any] = []
    deadline = time.monotonic() + wait_seconds
    while len(messages) < expected and time.monotonic() < deadline:
        message = queue.get(no_ack=True)
        if message is None:
            time.sleep(0.05)
            continue
        messages.append(message)
    time.sleep(0.2)
    extra = queue.get(no_ack=True)
    if extra is not None:
        messages.append(extra)
    return messages


def emit(store: Store, *events: Event) -> None:
    with store.unit_of_work() as uow:
        for event in events:
            uow.emit(event)


def published_at(store: Store) -> list[datetime | None]:
    with store.read() as session:
        return list(session.scalars(select(outbox.c.published_at).order_by(outbox.c.id)))


def published_total() -> float:
    return REGISTRY.get_sample_value("sunlight_events_published_total", {"service": "intake"}) or 0.0


def test_a_committed_event_reaches_the_services_exchange_under_its_type(
    store: Store, relay: OutboxRelay, listener: Queue
) -> None:
    event = accepted_event()
    emit(store, event)
    before = published_total()

    assert relay.publish_now([event.event_id]) == 1

    [message] = received(listener, expected=1)
    assert message.delivery_info["exchange"] == "intake.events"
    assert message.delivery_info["routing_key"] == APPLICATION_ACCEPTED
    assert message.properties["delivery_mode"] == 2  # persistent: survives a broker restart
    delivered = Event.from_message(json.loads(message.body))
    assert delivered == event
    assert delivered.source == "intake"
    assert published_total() == before + 1


def test_a_published_event_is_marked_and_never_published_again(
    store: Store, relay: OutboxRelay, listener: Queue
) -> None:
    event = accepted_event()
    emit(store, event)

    first = relay.publish_now([event.event_id])
    again = relay.publish_now([event.event_id])
    by_timer = relay.publish_pending(older_than=timedelta(0))

    assert (first, again, by_timer) == (1, 0, 0)
    assert len(received(listener, expected=1)) == 1
    [marked] = published_at(store)
    assert marked is not None
    assert relay.pending_count() == 0


def test_events_of_one_unit_of_work_go_out_in_the_order_they_were_emitted(
    store: Store, relay: OutboxRelay, listener: Queue
) -> None:
    events = [
        accepted_event("XZ-2025-000001"),
        new_event(
            CASE_OPENED,
            "XZ-2025-000001",
            {"item_code": "shop-sign", "tenant": "xz", "definition": "two-stage", "definition_version": 1},
            ACCEPTED_AT,
        ),
        accepted_event("XZ-2025-000002"),
    ]
    emit(store, *events)

    assert relay.publish_now([event.event_id for event in events]) == 3

    messages = received(listener, expected=3)
    assert [json.loads(message.body)["event_id"] for message in messages] == [e.event_id for e in events]
    assert [message.delivery_info["routing_key"] for message in messages] == [
        APPLICATION_ACCEPTED,
        CASE_OPENED,
        APPLICATION_ACCEPTED,
    ]


def test_publish_now_sends_only_the_events_it_is_given(store: Store, relay: OutboxRelay, listener: Queue) -> None:
    mine, other = accepted_event("XZ-2025-000001"), accepted_event("XZ-2025-000002")
    emit(store, mine, other)

    assert relay.publish_now([mine.event_id]) == 1

    [message] = received(listener, expected=1)
    assert json.loads(message.body)["event_id"] == mine.event_id
    assert relay.pending_count() == 1


def test_the_timer_leaves_fresh_events_to_publish_now(store: Store, relay: OutboxRelay, listener: Queue) -> None:
    emit(store, accepted_event())

    assert relay.publish_pending(older_than=timedelta(minutes=1)) == 0
    assert received(listener, expected=0) == []
    assert relay.publish_pending(older_than=timedelta(0)) == 1
    assert len(received(listener, expected=1)) == 1


def test_with_the_broker_down_the_event_waits_in_the_outbox(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    down = OutboxRelay(store.engine, outbox, "intake", UNREACHABLE)
    event = accepted_event()
    emit(store, event)
    started = time.monotonic()

    with caplog.at_level(logging.WARNING, logger="sunlight.outbox"):
        assert down.publish_now([event.event_id]) == 0

    assert time.monotonic() - started < 5
    assert "relay timer will retry" in caplog.text
    assert published_at(store) == [None]
    assert down.pending_count() == 1


def test_an_application_accepted_while_the_broker_is_down_is_announced_once_it_is_back(
    store: Store, relay: OutboxRelay, listener: Queue
) -> None:
    down = OutboxRelay(store.engine, outbox, "intake", UNREACHABLE)
    store.relay = down
    event = accepted_event()

    emit(store, event)  # the commit stands although publishing after it failed

    assert down.pending_count() == 1
    assert relay.publish_pending(older_than=timedelta(0)) == 1
    [message] = received(listener, expected=1)
    assert json.loads(message.body)["event_id"] == event.event_id
    assert relay.pending_count() == 0
    assert REGISTRY.get_sample_value("sunlight_outbox_pending", {"service": "intake"}) == 0
