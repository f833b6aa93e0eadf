"""Pipelined RPC: ``WINDOW`` calls in flight on one client, sunlight ``RpcClient.call_async`` vs raw pika.

Both publish a window of requests, then collect its replies, and go again; the services' RPC
consumers take up to their worker pool at once, the raw responder one at a time (as its pika
consumer does), so the raw side is the broker-only floor of the same pattern.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from typing import Any

from tools.stack import Stack

WINDOW = 50


def sunlight_pipelined(stack: Stack, calls: int) -> float:
    """Round trips per second with ``WINDOW`` ``intake.ping`` calls in flight."""
    from sunlight.rpc import RpcClient

    with RpcClient(stack.amqp_uri, timeout=30) as rpc:
        for reply in [rpc.intake.ping.call_async() for _ in range(WINDOW)]:
            reply.result()
        started = time.perf_counter()
        done = 0
        while done < calls:
            replies = [rpc.intake.ping.call_async() for _ in range(min(WINDOW, calls - done))]
            for reply in replies:
                assert reply.result() is not None
            done += len(replies)
        return calls / (time.perf_counter() - started)


def raw_pipelined(stack: Stack, responder_code: str, calls: int) -> float:
    """The same window over raw pika against a one-line responder process."""
    import pika

    queue = f"bench-echo-{uuid.uuid4().hex[:6]}"
    responder = subprocess.Popen([sys.executable, "-c", responder_code, stack.amqp_uri, queue],
                                 stdout=subprocess.PIPE, text=True)
    try:
        assert responder.stdout is not None and responder.stdout.readline().strip() == "ready"
        connection = pika.BlockingConnection(pika.URLParameters(stack.amqp_uri))
        channel = connection.channel()
        reply_queue = channel.queue_declare("", exclusive=True).method.queue
        replies: set[str] = set()
        channel.basic_consume(reply_queue, lambda _c, _m, props, _b: replies.add(props.correlation_id),
                              auto_ack=True)

        def window(size: int) -> None:
            sent: list[str] = []
            for _ in range(size):
                correlation = uuid.uuid4().hex
                channel.basic_publish("", queue, b'{"args": [], "kwargs": {}}',
                                      pika.BasicProperties(reply_to=reply_queue, correlation_id=correlation))
                sent.append(correlation)
            while not replies.issuperset(sent):
                connection.process_data_events(time_limit=1)
            replies.difference_update(sent)

        window(WINDOW)
        started = time.perf_counter()
        done = 0
        while done < calls:
            size = min(WINDOW, calls - done)
            window(size)
            done += size
        rate = calls / (time.perf_counter() - started)
        connection.close()
        return rate
    finally:
        responder.terminate()
        responder.wait(10)


def measure(stack: Stack, responder_code: str, calls: int) -> dict[str, Any]:
    return {"sunlight": sunlight_pipelined(stack, calls), "raw": raw_pipelined(stack, responder_code, calls)}
