"""The outbox relay against a real RabbitMQ: what a unit of work committed reaches the broker once.

Intake accepts a shop-sign application; its ``application.accepted`` event must appear on the
``intake.events`` exchange under its own routing key, be marked published, and never go twice.
With the broker down the acceptance still stands and the event waits in the outbox for the timer.

Many events of one unit of work, and the events of many workers committing at once, go out complete
and in each case's order. When the broker link breaks in the middle of a batch, or the broker refuses
part of it, the events it did not confirm stay in the outbox and the relay timer delivers them later;
duplicates are allowed (consumers drop an ``event_id`` they have seen), loss is not.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import eventlet
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
from sunlight.outbox import OutboxRelay, Pending
from tests.faults.proxy import FaultProxy, socket

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


def emit(store: Store, *events: Event) -> list[Pending]:
    """Commit ``events`` in one unit of work; the outbox rows it wrote, as the relay is handed them."""
    with store.unit_of_work() as uow:
        for event in events:
            uow.emit(event)
    return uow.written


def published_at(store: Store) -> list[datetime | None]:
    with store.read() as session:
        return list(session.scalars(select(outbox.c.published_at).order_by(outbox.c.id)))


def published_total() -> float:
    return REGISTRY.get_sample_value("sunlight_events_published_total", {"service": "intake"}) or 0.0


def test_a_committed_event_reaches_the_services_exchange_under_its_type(
    store: Store, relay: OutboxRelay, listener: Queue
) -> None:
    event = accepted_event()
    rows = emit(store, event)
    before = published_total()

    assert relay.publish_now(rows) == 1

    [message] = received(listener, expected=1)
    assert message.delivery_info["exchange"] == "intake.events"
    assert message.delivery_info["routing_key"] == APPLICATION_ACCEPTED
    assert message.properties["delivery_mode"] == 2  # persistent: survives a broker restart
    delivered = Event.from_message(json.loads(message.body))
    assert delivered == event
    assert delivered.source == "intake"
    assert published_total() == before + 1


def test_a_published_event_is_marked_and_the_timer_never_publishes_it_again(
    store: Store, relay: OutboxRelay, listener: Queue
) -> None:
    first = relay.publish_now(emit(store, accepted_event()))
    by_timer = relay.publish_pending(older_than=timedelta(0))

    assert (first, by_timer) == (1, 0)
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
    assert relay.publish_now(emit(store, *events)) == 3

    messages = received(listener, expected=3)
    assert [json.loads(message.body)["event_id"] for message in messages] == [e.event_id for e in events]
    assert [message.delivery_info["routing_key"] for message in messages] == [
        APPLICATION_ACCEPTED,
        CASE_OPENED,
        APPLICATION_ACCEPTED,
    ]


def test_publish_now_sends_only_the_events_it_is_given(store: Store, relay: OutboxRelay, listener: Queue) -> None:
    mine, other = accepted_event("XZ-2025-000001"), accepted_event("XZ-2025-000002")
    rows = emit(store, mine, other)

    assert relay.publish_now(rows[:1]) == 1

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
    rows = emit(store, accepted_event())
    started = time.monotonic()

    with caplog.at_level(logging.WARNING, logger="sunlight.outbox"):
        assert down.publish_now(rows) == 0

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


def numbered(count: int, first: int = 1) -> list[Event]:
    return [accepted_event(f"XZ-2025-{n:06d}") for n in range(first, first + count)]


def event_ids(messages: list[Any]) -> list[str]:
    return [json.loads(message.body)["event_id"] for message in messages]


class CuttingProxy(FaultProxy):
    """A proxy to RabbitMQ that, once armed, forwards ``budget`` more bytes to the broker and then cuts
    the link and refuses new connections: the broker gets the first messages of a batch, not the rest."""

    budget: int | None = None

    def _pump(self, source: Any, sink: Any) -> None:
        if sink.getpeername()[1] != self.target[1]:  # broker -> client: forward as is
            super()._pump(source, sink)
            return
        with contextlib.suppress(OSError):
            while chunk := source.recv(65536):
                if self.budget is not None:
                    chunk, self.budget = chunk[: self.budget], self.budget - len(chunk)
                sink.sendall(chunk)
                if self.budget is not None and self.budget <= 0:
                    self.cut(refuse=True)
                    return
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def proxy(amqp_uri: str) -> Iterator[CuttingProxy]:
    cutting = CuttingProxy("127.0.0.1", 5672)
    yield cutting
    cutting.close()


@pytest.fixture
def relay_via_proxy(store: Store, amqp_uri: str, proxy: CuttingProxy) -> OutboxRelay:
    vhost = amqp_uri.rsplit("/", 1)[1]
    return OutboxRelay(store.engine, outbox, "intake", f"amqp://guest:guest@127.0.0.1:{proxy.port}/{vhost}")


def test_fifty_events_of_one_unit_of_work_all_arrive_in_order_and_are_marked(
    store: Store, relay: OutboxRelay, listener: Queue
) -> None:
    events = numbered(50)

    assert relay.publish_now(emit(store, *events)) == 50

    assert event_ids(received(listener, expected=50)) == [event.event_id for event in events]
    relay.mark_confirmed()  # the relay timer's first step
    assert None not in published_at(store)
    assert relay.publish_pending(older_than=timedelta(0)) == 0


def test_confirmed_events_are_marked_in_the_next_commit_and_wait_if_it_fails(
    store: Store, relay: OutboxRelay, listener: Queue
) -> None:
    store.relay = relay
    emit(store, accepted_event("XZ-2025-000001"))  # published right after its commit, not yet marked
    assert len(received(listener, expected=1)) == 1
    assert published_at(store) == [None]

    with pytest.raises(WindowTrouble), store.unit_of_work():
        raise WindowTrouble("the next unit of work fails: its marks are not lost")
    assert published_at(store) == [None]

    emit(store, accepted_event("XZ-2025-000002"))  # marks the first in its own commit

    assert published_at(store)[0] is not None
    assert relay.publish_pending(older_than=timedelta(0)) == 0  # neither goes out twice
    assert len(received(listener, expected=1)) == 1


class WindowTrouble(Exception):
    """Something going wrong at the window in the middle of a unit of work."""


def test_workers_committing_at_once_each_see_their_events_out_in_their_cases_order(
    store: Store, relay: OutboxRelay, listener: Queue
) -> None:
    cases = [numbered(3, first=100 * worker) for worker in range(1, 9)]  # 8 workers, 3 events each

    def worker(events: list[Event]) -> int:
        return relay.publish_now(emit(store, *events))

    assert list(eventlet.GreenPool(8).imap(worker, cases)) == [3] * 8

    arrived = event_ids(received(listener, expected=24))
    assert sorted(arrived) == sorted(event.event_id for events in cases for event in events)
    for events in cases:
        mine = [event_id for event_id in arrived if event_id in {event.event_id for event in events}]
        assert mine == [event.event_id for event in events]
    assert relay.pending_count() == 0


def test_a_broker_link_cut_mid_batch_leaves_the_rest_to_the_timer_and_nothing_is_lost(
    store: Store, relay_via_proxy: OutboxRelay, listener: Queue, proxy: CuttingProxy,
    caplog: pytest.LogCaptureFixture,
) -> None:
    warm = accepted_event("XZ-2025-000000")
    assert relay_via_proxy.publish_now(emit(store, warm)) == 1  # the relay's connection is open and kept
    events = numbered(50)
    rows = emit(store, *events)
    proxy.budget = 8_000  # about a dozen messages reach the broker, then the link is cut

    with caplog.at_level(logging.WARNING, logger="sunlight.outbox"):
        sent = relay_via_proxy.publish_now(rows)

    assert sent < 50
    assert "relay timer will retry" in caplog.text
    assert relay_via_proxy.pending_count() == 50 - sent
    proxy.budget = None
    proxy.heal()
    assert relay_via_proxy.publish_pending(older_than=timedelta(0)) == 50 - sent  # the timer, reconnected
    arrived = event_ids(received(listener, expected=51))
    while (more := received(listener, expected=1, wait_seconds=0.5)):  # the broker's copies of the cut batch
        arrived += event_ids(more)
    assert set(arrived) == {warm.event_id} | {event.event_id for event in events}
    assert relay_via_proxy.pending_count() == 0


def test_a_kept_connection_the_broker_closed_while_idle_is_replaced_without_waiting_for_the_timer(
    store: Store, relay_via_proxy: OutboxRelay, listener: Queue, proxy: CuttingProxy,
) -> None:
    first, second = accepted_event("XZ-2025-000001"), accepted_event("XZ-2025-000002")
    assert relay_via_proxy.publish_now(emit(store, first)) == 1
    proxy.cut(refuse=False)  # as a broker restart would: the idle connection is gone, new ones welcome

    assert relay_via_proxy.publish_now(emit(store, second)) == 1

    assert event_ids(received(listener, expected=2)) == [first.event_id, second.event_id]
    assert relay_via_proxy.pending_count() == 0


def test_events_the_broker_refuses_stay_in_the_outbox_until_it_takes_them(
    store: Store, relay: OutboxRelay, amqp_uri: str
) -> None:
    with Connection(amqp_uri) as connection:
        # a queue that holds 10 and makes the broker nack what comes beyond: a real partial confirm
        full = Queue("test-bounded", exchange=get_event_exchange("intake"), routing_key="#",
                     queue_arguments={"x-max-length": 10, "x-overflow": "reject-publish"},
                     channel=connection.channel())
        full.declare()
        events = numbered(20)
        assert relay.publish_now(emit(store, *events)) == 10

        assert relay.pending_count() == 10
        taken = event_ids(received(full, expected=10))
        assert taken == [event.event_id for event in events[:10]]
        assert relay.publish_pending(older_than=timedelta(0)) == 10
        assert event_ids(received(full, expected=10)) == [event.event_id for event in events[10:]]
        assert relay.pending_count() == 0
