"""Operators' tool for dead letters: see what failed and why, and replay it once the cause is fixed.

    python -m sunlight.deadletters list <service>
    python -m sunlight.deadletters replay <service> [--event-id ID]

A replayed message goes back to the handler queue it failed in, with its attempt count reset.
Listing takes nothing off the queue; replay acknowledges a dead letter only after the broker has
confirmed the republished copy, so a crash mid-replay duplicates at worst (and consumers are
idempotent) — it never loses one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from typing import Any

from kombu import Connection, Producer

from sunlight.messaging import (
    ATTEMPTS_HEADER,
    FAILED_AT_HEADER,
    QUEUE_HEADER,
    REASON_HEADER,
    dead_letter_queue,
)

DEFAULT_AMQP_URI = "amqp://guest:guest@localhost:5672/"


@dataclass(frozen=True)
class DeadLetter:
    """One parked message and why it was parked."""

    queue: str
    reason: str
    attempts: int
    failed_at: str
    event_type: str
    event_id: str
    case_number: str


def _describe(message: Any) -> DeadLetter:
    headers = dict(message.headers or {})
    try:
        body = message.payload if isinstance(message.payload, dict) else {}
    except Exception:  # an undecodable body is exactly what may end up here
        body = {}
    return DeadLetter(
        queue=str(headers.get(QUEUE_HEADER, "")),
        reason=str(headers.get(REASON_HEADER, "")),
        attempts=int(headers.get(ATTEMPTS_HEADER, 0)),
        failed_at=str(headers.get(FAILED_AT_HEADER, "")),
        event_type=str(body.get("event_type", "")),
        event_id=str(body.get("event_id", "")),
        case_number=str(body.get("case_number") or ""),
    )


def list_dead_letters(amqp_uri: str, service: str) -> list[DeadLetter]:
    """Every message in ``dlq.<service>``, oldest first; the queue is left as it was."""
    with Connection(amqp_uri) as connection, connection.channel() as channel:
        queue = dead_letter_queue(service)(channel)
        queue.declare()
        found: list[DeadLetter] = []
        while (message := queue.get(no_ack=False)) is not None:
            found.append(_describe(message))
        # closing the channel without acking returns every message to the queue, in order
    return found


def replay(amqp_uri: str, service: str, event_id: str | None = None) -> int:
    """Send dead letters (all, or one event) back to the queue they failed in; return how many."""
    replayed = 0
    with (
        Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection,
        connection.channel() as channel,
    ):
        queue = dead_letter_queue(service)(channel)
        queue.declare()
        producer = Producer(connection.channel())
        while (message := queue.get(no_ack=False)) is not None:
            letter = _describe(message)
            if (event_id and letter.event_id != event_id) or not letter.queue:
                continue  # left unacked: back on the dead-letter queue when the channel closes
            headers = {k: v for k, v in dict(message.headers or {}).items() if not k.startswith("x-sunlight-")}
            producer.publish(
                message.body, exchange="", routing_key=letter.queue, headers=headers,
                content_type=message.content_type, content_encoding=message.content_encoding,
                delivery_mode=2,
            )
            message.ack()
            replayed += 1
    return replayed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sunlight.deadletters", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["list", "replay"])
    parser.add_argument("service")
    parser.add_argument("--event-id", help="replay only this event")
    parser.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", DEFAULT_AMQP_URI))
    args = parser.parse_args(argv)
    if args.command == "list":
        letters = list_dead_letters(args.amqp_uri, args.service)
        for letter in letters:
            print(json.dumps(letter.__dict__, ensure_ascii=False))
        print(f"{len(letters)} dead letter(s) in dlq.{args.service}", file=sys.stderr)
        return 0
    count = replay(args.amqp_uri, args.service, args.event_id)
    print(f"replayed {count} dead letter(s) from dlq.{args.service}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
