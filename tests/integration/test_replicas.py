"""Two replicas of workflow and of supervision share the work with no duplicate effect, and a replica
killed mid-work loses nothing (PostgreSQL, as in production: replicas share a database)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import eventlet
import pytest

from tests.integration.support import metric, query, trail_problems
from tools.drive import Outcome, decide, finish, sample_application, wait_for
from tools.stack import Stack, running_stack

pytestmark = pytest.mark.integration

APPLICATIONS = 12


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("stack-replicas"), backend="postgresql") as running:
        for service in ("workflow", "supervision"):
            running.start(service, replica=2)
        running.wait_healthy()
        yield running


def drive_many(stack: Stack, applications: list[dict[str, Any]], windows: int = 4) -> list[Outcome]:
    """Several windows at once, each with its own RPC client."""
    clients = [stack.rpc_client(timeout=60) for _ in range(windows)]
    free: eventlet.Queue[Any] = eventlet.Queue()
    for client in clients:
        free.put(client.start())

    def one(application: dict[str, Any]) -> Outcome:
        rpc = free.get()
        try:
            outcome = Outcome(receipt=rpc.intake.submit_application(application))
            decide(rpc, outcome.number, timeout=60)
            return finish(rpc, outcome, timeout=60)
        finally:
            free.put(rpc)

    try:
        return list(eventlet.GreenPool(windows).imap(one, applications))
    finally:
        for client in clients:
            client.stop()


def test_two_replicas_share_the_work_and_nothing_happens_twice(stack: Stack) -> None:
    outcomes = drive_many(stack, [sample_application(i) for i in range(APPLICATIONS)])

    numbers = [o.number for o in outcomes]
    assert len(set(numbers)) == APPLICATIONS
    assert query(stack, "workflow", "SELECT count(*) FROM cases WHERE status = 'approved'")[0][0] == APPLICATIONS
    assert query(stack, "registry", "SELECT count(*) FROM certificates")[0][0] == APPLICATIONS
    duplicates = query(stack, "supervision", "SELECT event_id FROM audit_log GROUP BY event_id HAVING count(*) > 1")
    assert duplicates == []
    for outcome in outcomes:  # two auditors record concurrently: every event once, maybe not in order
        recorded = [e["event_type"] for e in _full_trail(stack, outcome.number)]
        assert trail_problems(recorded) == [], f"{outcome.number}: {recorded}"
    with stack.rpc_client() as rpc:
        assert rpc.supervision.verify_audit_chain()["ok"] is True

    for key in ("workflow", "workflow#2"):
        handled = metric(stack, key, "sunlight_entrypoint_calls_total", entrypoint="on_application_accepted")
        assert handled > 0, f"{key} took no application: the replicas did not share the queue"
    for key in ("supervision", "supervision#2"):
        assert _recorded_any(stack, key), f"{key} recorded nothing: the auditors did not share the queue"


def _full_trail(stack: Stack, number: str) -> list[dict[str, Any]]:
    def whole() -> list[dict[str, Any]] | None:
        with stack.rpc_client() as rpc:
            trail: list[dict[str, Any]] = rpc.supervision.case_audit_trail(number)
        return trail if not trail_problems([e["event_type"] for e in trail]) else None

    return wait_for(whole, timeout=20, what=f"the whole trail of {number}")


def _recorded_any(stack: Stack, key: str) -> bool:
    return sum(metric(stack, key, "sunlight_audit_records_total", source=s)
               for s in ("intake", "workflow", "registry", "notify")) > 0


def test_a_replica_killed_mid_work_loses_nothing(stack: Stack) -> None:
    before = query(stack, "workflow", "SELECT count(*) FROM cases")[0][0]
    with stack.rpc_client(timeout=60) as rpc:
        receipts = [rpc.intake.submit_application(sample_application(100 + i)) for i in range(APPLICATIONS)]
    stack.processes["workflow#2"].send_signal(signal.SIGKILL)  # no goodbye: its unacked messages go back

    with stack.rpc_client(timeout=60) as rpc:
        for receipt in receipts:
            outcome = Outcome(receipt=receipt)
            decide(rpc, outcome.number, timeout=60)
            finish(rpc, outcome, timeout=60)

    assert query(stack, "workflow", "SELECT count(*) FROM cases")[0][0] == before + APPLICATIONS
    assert query(stack, "registry", "SELECT count(*) FROM certificates")[0][0] == before + APPLICATIONS
    stack.processes.pop("workflow#2")
