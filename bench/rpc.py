"""RPC cost: ``intake.ping`` round trips through nameko's and sunlight's clients, vs raw AMQP with pika.

Sequential: one call at a time. Pipelined: ``WINDOW`` calls in flight on one client, published as a
window and then collected. The raw baseline is the same request/reply pattern over pika against a
one-line responder process on the same broker, in the same run: the floor the clients' overhead is
measured from. The services' RPC consumers take up to their worker pool at once, the raw responder
one at a time (as its pika consumer does).
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tools.stack import Stack

WARM_UP = 20
WINDOW = 50
REQUEST = b'{"args": [], "kwargs": {}}'

RESPONDER = """
import sys, pika
connection = pika.BlockingConnection(pika.URLParameters(sys.argv[1]))
channel = connection.channel()
channel.queue_declare(sys.argv[2], auto_delete=True)
def reply(ch, method, props, body):
    ch.basic_publish("", props.reply_to, body, pika.BasicProperties(correlation_id=props.correlation_id))
    ch.basic_ack(method.delivery_tag)
channel.basic_consume(sys.argv[2], reply)
print("ready", flush=True)
channel.start_consuming()
"""


def calls_per_second(call: Callable[[], Any], n: int) -> float:
    """``n`` calls one after another, after a warm-up (connections, queue declarations)."""
    for _ in range(WARM_UP):
        call()
    started = time.perf_counter()
    for _ in range(n):
        call()
    return n / (time.perf_counter() - started)


def nameko_sequential(stack: Stack, n: int) -> float:
    """nameko's own standalone client (the stack's test client is sunlight's, so name it here)."""
    from nameko.standalone.rpc import ClusterRpcClient

    with ClusterRpcClient(uri=stack.amqp_uri, timeout=10) as rpc:
        return calls_per_second(rpc.intake.ping, n)


def sunlight_sequential(stack: Stack, n: int) -> float:
    """The kept-open client (sunlight.rpc.RpcClient) against the same services."""
    from sunlight.rpc import RpcClient

    with RpcClient(stack.amqp_uri, timeout=10) as rpc:
        return calls_per_second(rpc.intake.ping, n)


def sunlight_pipelined(stack: Stack, n: int) -> float:
    """Round trips per second with ``WINDOW`` ``intake.ping`` calls in flight."""
    from sunlight.rpc import RpcClient

    with RpcClient(stack.amqp_uri, timeout=30) as rpc:
        def window(size: int) -> None:
            for reply in [rpc.intake.ping.call_async() for _ in range(size)]:
                assert reply.result() is not None
        return _windows(window, n)


def _windows(window: Callable[[int], None], n: int) -> float:
    window(WINDOW)  # warm up
    started = time.perf_counter()
    done = 0
    while done < n:
        size = min(WINDOW, n - done)
        window(size)
        done += size
    return n / (time.perf_counter() - started)


class RawClient:
    """Request/reply over plain pika: one connection, one exclusive reply queue, correlation ids."""

    def __init__(self, amqp_uri: str, queue: str) -> None:
        import pika

        self.pika, self.queue = pika, queue
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        self.channel = self.connection.channel()
        self.reply_queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.replies: set[str] = set()
        self.channel.basic_consume(self.reply_queue, lambda _c, _m, props, _b: self.replies.add(props.correlation_id),
                                   auto_ack=True)

    def send(self) -> str:
        correlation = uuid.uuid4().hex
        self.channel.basic_publish("", self.queue, REQUEST,
                                   self.pika.BasicProperties(reply_to=self.reply_queue, correlation_id=correlation))
        return correlation

    def wait(self, sent: list[str]) -> None:
        while not self.replies.issuperset(sent):
            self.connection.process_data_events(time_limit=1)
        self.replies.difference_update(sent)

    def round_trip(self) -> None:
        self.wait([self.send()])

    def window(self, size: int) -> None:
        self.wait([self.send() for _ in range(size)])


@contextmanager
def raw_client(stack: Stack) -> Iterator[RawClient]:
    """A responder process on a fresh queue of the stack's broker, and a raw client talking to it."""
    queue = f"bench-echo-{uuid.uuid4().hex[:6]}"
    responder = subprocess.Popen([sys.executable, "-c", RESPONDER, stack.amqp_uri, queue],
                                 stdout=subprocess.PIPE, text=True)
    try:
        assert responder.stdout is not None and responder.stdout.readline().strip() == "ready"
        client = RawClient(stack.amqp_uri, queue)
        try:
            yield client
        finally:
            client.connection.close()
    finally:
        responder.terminate()
        responder.wait(10)


def raw_sequential(stack: Stack, n: int) -> float:
    with raw_client(stack) as raw:
        return calls_per_second(raw.round_trip, n)


def raw_pipelined(stack: Stack, n: int) -> float:
    with raw_client(stack) as raw:
        return _windows(raw.window, n)
