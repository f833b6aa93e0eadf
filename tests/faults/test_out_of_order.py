"""Fault 4, out of order: a consumer's FIRST delivery of a case's events comes in the wrong order.

test_duplicate_events replays copies after the originals, so every consumer has already taken each
event in order before a copy comes. Here the originals themselves are inverted. Each service consumes
each event type from a queue of its own (nameko: one queue per handler), so in production a later event
overtakes an earlier one whenever the earlier one's first delivery fails and waits in ``retry.<service>``
(a database hiccup in one handler, a redelivery after a lost ack), whenever a consumer was down and on
restart drains its queues side by side, and whenever two replicas take consecutive events of one case.
That is simulated without touching the shared broker: the consumers are stopped, the stream runs, and
the test takes the ``application.accepted`` deliveries out of their queues and puts them back later,
exactly as a retry would route them back:

- registry takes ``case.approved`` before ``application.accepted`` (approval before the fees are known:
  no certificate yet, and none twice when the fees are then learned and paid);
- supervision's one audit queue takes every workflow event (case.opened, task.created, task.completed,
  case.approved) before the ``application.accepted`` that began the case;
- notify takes ``certificate.issued`` (the completion SMS) before the ``application.accepted`` that asks
  for the acceptance SMS.

Then the books: one certificate per case, one completion SMS and one acceptance SMS per case, every
event once in the audit log, the chain verifies; every case clock closed and no violation made up.
On SQLite and on PostgreSQL (row locks instead of one writer at a time); two replicas racing on one
case's events: test_out_of_order_replicas.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from kombu import Connection, Queue

from sunlight.contracts import APPLICATION_ACCEPTED
from tests.faults.books import (
    check_books,
    finish_patiently,
    no_violation_made_up,
    patiently,
    settled,
    submit_patiently,
    unpublished,
)
from tests.faults.conftest import FaultyStack
from tests.integration.support import query

pytestmark = [pytest.mark.fault, pytest.mark.integration,
              pytest.mark.parametrize("faulty", ["sqlite", "postgresql"], indirect=True, scope="module")]

CASES = 3
HELD_BACK = {  # consumer service -> its queue that takes application.accepted
    "registry": f"evt-intake-{APPLICATION_ACCEPTED}--registry.on_application_accepted",
    "supervision": "evt-all--supervision.record_event",
    "notify": f"evt-intake-{APPLICATION_ACCEPTED}--notify.on_application_accepted",
}


@dataclass(frozen=True)
class Held:
    body: bytes
    headers: dict[str, Any]
    content_type: str
    content_encoding: str


def hold_back(amqp_uri: str, queue: str, wanted: Callable[[Any], bool]) -> list[Held]:
    """Take the ``wanted`` messages out of ``queue``; the rest go back in their order. Returns the taken."""
    taken: list[Held] = []
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        bound = Queue(queue)(channel)
        messages = []
        while (message := bound.get(no_ack=False)) is not None:
            messages.append(message)
        producer = connection.Producer(channel)
        for message in messages:
            if wanted(message):
                taken.append(Held(message.body, dict(message.headers or {}), message.content_type,
                                  message.content_encoding))
            else:
                _publish(producer, queue, message.body, dict(message.headers or {}), message.content_type,
                         message.content_encoding)
            message.ack()
    return taken


def release(amqp_uri: str, queue: str, held: list[Held]) -> None:
    """Put held messages back on their queue, as the retry queue routes a retried delivery back."""
    with Connection(amqp_uri) as connection:
        producer = connection.Producer()
        for message in held:
            _publish(producer, queue, message.body, message.headers, message.content_type, message.content_encoding)


def _publish(producer: Any, queue: str, body: bytes, headers: dict[str, Any], content_type: str,
             content_encoding: str) -> None:
    producer.publish(body, exchange="", routing_key=queue, headers=headers, content_type=content_type,
                     content_encoding=content_encoding, delivery_mode=2)


def _acceptance(message: Any) -> bool:
    return bool(message.delivery_info["routing_key"] == APPLICATION_ACCEPTED)


def _count(faulty: FaultyStack, service: str, sql: str) -> int:
    return int(query(faulty.stack, service, sql)[0][0])


def test_first_deliveries_out_of_order_still_balance_the_books(faulty: FaultyStack, rpc: Any) -> None:
    uri = faulty.stack.amqp_uri
    for consumer in HELD_BACK:
        faulty.stack.stop(consumer)
    # the window takes the applications and every task is approved while the three consumers are down
    receipts = [submit_patiently(rpc, 8100 + i) for i in range(CASES)]
    numbers = [finish_patiently(rpc, {**receipt, "fees_due": []}) for receipt in receipts]
    patiently(lambda: unpublished(faulty.stack, "intake", "workflow") == 0 or None,
              what="intake and workflow to publish")

    held = {consumer: hold_back(uri, queue, _acceptance) for consumer, queue in HELD_BACK.items()}
    assert {consumer: len(messages) for consumer, messages in held.items()} == dict.fromkeys(HELD_BACK, CASES)

    # registry and supervision come back and see the approvals (and every workflow event) first
    for consumer in ("registry", "supervision"):
        faulty.start(consumer)
    workflow_events = {r[0] for r in query(faulty.stack, "workflow", "SELECT event_id FROM outbox")}

    def approvals_and_workflow_audited() -> bool | None:
        approved = _count(faulty, "registry", "SELECT count(*) FROM processed_events "
                          "WHERE consumer = 'registry.on_case_approved'")
        audited = {r[0] for r in query(faulty.stack, "supervision", "SELECT event_id FROM audit_log")}
        return (approved == CASES and workflow_events <= audited) or None

    patiently(approvals_and_workflow_audited, what="registry and supervision to take the later events first")
    assert _count(faulty, "registry", "SELECT count(*) FROM certificates") == 0, "issued before the fees were known"

    # the acceptances arrive late, as from the retry queue; then the window takes the fees
    for consumer in ("registry", "supervision"):
        release(uri, HELD_BACK[consumer], held[consumer])
    for receipt in receipts:
        finish_patiently(rpc, receipt)
    patiently(lambda: _count(faulty, "registry", "SELECT count(*) FROM certificates") == CASES or None,
              what="every certificate")

    # notify comes back to the completion first, the acceptance after
    faulty.start("notify")
    patiently(lambda: _count(faulty, "notify", "SELECT count(*) FROM messages "
                             "WHERE template = 'certificate_issued'") == CASES or None,
              what="notify to take every certificate.issued")
    assert _count(faulty, "notify", "SELECT count(*) FROM messages WHERE template LIKE 'application_received%'") == 0
    release(uri, HELD_BACK["notify"], held["notify"])
    patiently(lambda: _count(faulty, "notify", "SELECT count(*) FROM messages WHERE template LIKE "
                             "'application_received%' AND status IN ('sent', 'delivered')") >= CASES or None,
              what="notify to send the late acceptance SMS")

    drained = settled(faulty.stack, numbers, rpc)
    books = check_books(faulty.stack, numbers, rpc)
    accepted_sms = sorted(r[0] for r in query(faulty.stack, "notify", "SELECT case_number FROM messages "
                                              "WHERE template LIKE 'application_received%'"))
    assert accepted_sms == sorted(numbers), "every case has exactly one acceptance SMS"
    # the inversion really happened: the audit log is in arrival order, the acceptance came last
    for number in numbers:
        arrived = [r[0] for r in query(faulty.stack, "supervision", "SELECT event_type FROM audit_log "
                                       "WHERE case_number = :n ORDER BY seq", n=number)]
        assert arrived.index(APPLICATION_ACCEPTED) > arrived.index("case.approved"), arrived
    # and supervision's clock of every case is closed, not left running to raise lights on a finished case
    clocks = dict(query(faulty.stack, "supervision", "SELECT case_number, state FROM case_clocks"))
    assert {number: clocks.get(number) for number in numbers} == dict.fromkeys(numbers, "closed")
    print(f"\nRELIABILITY out-of-order backend={faulty.backend} cases={books['cases']} events={books['events']} "
          f"held-back={sum(len(m) for m in held.values())} books-settled={drained:.1f}s")
    # and no violation is made up from the order of arrival (they are published on /results)
    no_violation_made_up(faulty.stack)
