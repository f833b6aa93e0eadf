"""Fault 4 with replicas: two replicas of registry and of supervision take one case's events at once (PostgreSQL).

The events of a stream of cases pile up while registry and supervision are down; two replicas of each
then start side by side and the piled-up deliveries are put back at once, so the broker hands
consecutive events of one case to different replicas (each takes ``max_workers`` deliveries at a time)
and they are handled concurrently: supervision appends one case's case.opened, task.created,
task.completed and case.approved from two processes; registry records a case's approval in one replica
while the window's payment of its fee is recorded in the other, each of which may issue the certificate.

Then the books: one certificate per case, one completion SMS per case, every event once in the audit
log, the chain verifies, every case clock closed and no violation made up.
"""

from __future__ import annotations

import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from sunlight.contracts import APPLICATION_ACCEPTED, CASE_APPROVED
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
from tests.faults.test_out_of_order import _count, hold_back, release
from tests.integration.support import query

pytestmark = [pytest.mark.fault, pytest.mark.integration]

BACKEND = "postgresql"
CASES = 8
ACCEPTANCES = f"evt-intake-{APPLICATION_ACCEPTED}--registry.on_application_accepted"
APPROVALS = f"evt-workflow-{CASE_APPROVED}--registry.on_case_approved"
AUDIT = "evt-all--supervision.record_event"
RACERS = ("registry", "supervision")


def _calls(faulty: FaultyStack, replica: str, entrypoints: tuple[str, ...]) -> float:
    """How many calls of ``entrypoints`` this replica handled, from its own /metrics."""
    url = f"http://127.0.0.1:{faulty.stack.metrics_ports[replica]}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - the test's own service
        lines = response.read().decode().splitlines()
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith("sunlight_entrypoint_calls_total{")
               and any(f'entrypoint="{name}"' in line for name in entrypoints))


def test_two_replicas_taking_one_case_s_events_at_once_still_balance_the_books(faulty: FaultyStack, rpc: Any) -> None:
    uri = faulty.stack.amqp_uri
    for consumer in RACERS:
        faulty.stack.stop(consumer)
    receipts = [submit_patiently(rpc, 8200 + i) for i in range(CASES)]
    numbers = [finish_patiently(rpc, {**receipt, "fees_due": []}) for receipt in receipts]
    patiently(lambda: unpublished(faulty.stack, "intake", "workflow") == 0 or None,
              what="intake and workflow to publish")
    held = {queue: hold_back(uri, queue, lambda _message: True) for queue in (ACCEPTANCES, APPROVALS, AUDIT)}
    assert len(held[ACCEPTANCES]) == len(held[APPROVALS]) == CASES

    for consumer in RACERS:  # two replicas each, both consuming before anything is put back
        faulty.start(consumer)
        faulty.stack.start(consumer, faulty.env(consumer), replica=2)
    faulty.stack.wait_healthy()

    release(uri, AUDIT, held[AUDIT])  # every case's events at once, shared out between the two auditors
    release(uri, ACCEPTANCES, held[ACCEPTANCES])
    patiently(lambda: _count(faulty, "registry", "SELECT count(*) FROM processed_events WHERE consumer = "
                             "'registry.on_application_accepted'") == CASES or None, what="registry to learn the fees")

    def pay(receipt: dict[str, Any]) -> str:
        with faulty.stack.rpc_client(timeout=8) as window:
            return finish_patiently(window, receipt)

    # the approvals and the payments of the same cases race, each may land on either replica
    release(uri, APPROVALS, held[APPROVALS])
    with ThreadPoolExecutor(CASES) as windows:
        assert sorted(windows.map(pay, receipts)) == sorted(numbers)

    drained = settled(faulty.stack, numbers, rpc)
    books = check_books(faulty.stack, numbers, rpc)
    clocks = dict(query(faulty.stack, "supervision", "SELECT case_number, state FROM case_clocks"))
    assert {number: clocks.get(number) for number in numbers} == dict.fromkeys(numbers, "closed")
    # the race really happened: each replica took its share
    shares = {replica: _calls(faulty, replica, entrypoints) for replica, entrypoints in (
        ("registry", ("on_case_approved", "record_payment")), ("registry#2", ("on_case_approved", "record_payment")),
        ("supervision", ("record_event",)), ("supervision#2", ("record_event",)))}
    assert all(shares.values()), shares
    print(f"\nRELIABILITY out-of-order-replicas backend={faulty.backend} cases={books['cases']} "
          f"events={books['events']} deliveries-per-replica={shares} books-settled={drained:.1f}s")
    no_violation_made_up(faulty.stack)
