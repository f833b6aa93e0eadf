"""Fault 4: every event delivered again, twice more, and out of order, while cases are driven.

A tap on every service's event exchange sees each event as it is published; in batches it puts two more
copies of every event straight back on the exchange it came from, each batch in reverse order (a
certificate.issued before the case.approved that caused it, a case.approved before its
application.accepted). Every consumer must take the copies as the same event (processed_events, the
audit log's unique event id): still exactly one certificate, one completion SMS and one audit entry
per event, and the chain verifies.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from kombu import Connection, Consumer, Exchange, Queue, binding

from tests.faults.books import PUBLISHERS, Driver, check_books, settled
from tests.faults.conftest import FaultyStack
from tests.integration.support import metric

pytestmark = [pytest.mark.fault, pytest.mark.integration]

COPY_HEADER = "x-test-copy"
COPIES = 2
CASES = 4


@dataclass
class Replayer:
    """Taps every ``<service>.events`` exchange and puts copies of what it saw back, newest first."""

    amqp_uri: str
    seen: list[Any] = field(default_factory=list)
    replayed: int = 0

    def __post_init__(self) -> None:
        self.connection = Connection(self.amqp_uri)
        self.exchanges = {s: Exchange(f"{s}.events", type="topic", durable=True) for s in PUBLISHERS}
        self.tap = Queue("test-replayer-tap", exclusive=True, auto_delete=True,
                         bindings=[binding(exchange, routing_key="#") for exchange in self.exchanges.values()])
        channel = self.connection.channel()
        for exchange in self.exchanges.values():
            exchange(channel).declare()
        self.consumer = Consumer(channel, queues=[self.tap], callbacks=[self._saw], accept=["json"])
        self.consumer.consume()
        self.producer = self.connection.Producer()

    def _saw(self, _body: Any, message: Any) -> None:
        message.ack()
        if not (message.headers or {}).get(COPY_HEADER):
            self.seen.append(message)

    def listen(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self.connection.drain_events(timeout=0.2)
            except TimeoutError:
                continue

    def replay(self) -> None:
        """Two more copies of every event seen since the last replay, in reverse order."""
        batch, self.seen = self.seen, []
        for _ in range(COPIES):
            for message in reversed(batch):
                exchange_name = message.delivery_info["exchange"]
                self.producer.publish(
                    message.body, exchange=exchange_name, routing_key=message.delivery_info["routing_key"],
                    headers={**(message.headers or {}), COPY_HEADER: 1}, content_type=message.content_type,
                    content_encoding=message.content_encoding, delivery_mode=2)
                self.replayed += 1

    def close(self) -> None:
        self.connection.release()


def test_events_delivered_twice_more_and_out_of_order_change_nothing(faulty: FaultyStack, rpc: Any) -> None:
    replayer = Replayer(faulty.stack.amqp_uri)
    try:
        driver = Driver(faulty.stack).start()
        while len(driver.numbers) < CASES and not driver.errors:
            replayer.listen(1.0)
            replayer.replay()
        numbers = driver.stop()
        replayer.listen(2.0)  # what the last case's consumers published after its payment
        replayer.replay()
    finally:
        replayer.close()
    drained = settled(faulty.stack, numbers, rpc)
    books = check_books(faulty.stack, numbers, rpc)
    assert replayer.replayed >= COPIES * books["events"] * 0.9, "most events were replayed"
    # the copies did reach the consumers, and were recognised as copies there
    assert metric(faulty.stack, "registry", "sunlight_events_duplicate_total",
                  consumer="on_case_approved") >= COPIES * len(numbers)
    assert metric(faulty.stack, "notify", "sunlight_events_duplicate_total",
                  consumer="certificate_issued") >= COPIES * len(numbers)
    print(f"\nRELIABILITY duplicates backend={faulty.backend} cases={books['cases']} events={books['events']} "
          f"copies-published={replayer.replayed} books-settled={drained:.1f}s")
