"""The kept-open publishing channel (real RabbitMQ): a corked batch goes out whole, in one write, or not at all."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from amqp import Message
from kombu import Connection, Queue

from sunlight.channels import KeptChannel, corked

AMQP_URI = "amqp://guest:guest@127.0.0.1:5672//"


@pytest.fixture
def queue() -> Iterator[str]:
    name = f"test-channels-{uuid.uuid4().hex[:8]}"
    with Connection(AMQP_URI) as connection:
        Queue(name, durable=False, auto_delete=False)(connection.default_channel).declare()
        yield name
        connection.default_channel.queue_delete(name)


def received(name: str) -> list[bytes]:
    bodies = []
    with Connection(AMQP_URI) as connection:
        channel = connection.channel()
        while (message := channel.basic_get(name, no_ack=True)) is not None:
            bodies.append(message.body)
    return bodies


def publish(link: KeptChannel, name: str, bodies: list[bytes], fail_after: int | None = None) -> int:
    """Publish ``bodies`` to ``name`` corked; returns how many socket writes that took."""
    channel = link.open()
    assert link.connection is not None
    transport = link.connection.connection.transport
    send, writes = transport._write, []
    transport._write = lambda data: (writes.append(len(data)), send(data))
    try:
        with corked(link.connection):
            for number, body in enumerate(bodies):
                if number == fail_after:
                    raise RuntimeError("the batch broke off")
                channel.basic_publish(Message(body), exchange="", routing_key=name)
    finally:
        transport._write = send
    return len(writes)


def test_a_corked_batch_reaches_the_queue_whole_and_in_order_in_one_write(queue: str) -> None:
    link = KeptChannel(AMQP_URI, "test")
    bodies = [f"message {n}".encode() for n in range(5)]
    try:
        assert publish(link, queue, bodies) == 1
    finally:
        link.close()
    assert received(queue) == bodies


def test_a_batch_that_breaks_off_sends_none_of_it(queue: str) -> None:
    link = KeptChannel(AMQP_URI, "test")
    try:
        with pytest.raises(RuntimeError):
            publish(link, queue, [b"first", b"second", b"third"], fail_after=2)
        publish(link, queue, [b"after"])  # the link is still good for the next batch
    finally:
        link.close()
    assert received(queue) == [b"after"]


def test_a_link_the_broker_dropped_is_reopened_once_for_the_next_use(queue: str) -> None:
    link = KeptChannel(AMQP_URI, "test")
    try:
        link.open()
        assert link.connection is not None
        link.connection.connection.sock.close()  # as if the broker restarted while the link sat idle
        link.using(lambda channel: channel.basic_publish(Message(b"again"), exchange="", routing_key=queue))
    finally:
        link.close()
    assert received(queue) == [b"again"]
