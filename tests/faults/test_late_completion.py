"""Fault 4b, a completion delivered after the approval: the violation it seemed to show is withdrawn.

A stage's ``task.completed`` fails its first delivery to supervision and waits in ``retry.supervision``
while the ``case.approved`` that followed it comes through. Supervision, judging the case on the records it
has, sees an approval with stages never completed and raises ``skipped-stage``: published on /results, a
public accusation of the civil servants of the case. When the completions arrive and show they happened
before the approval, the violations are withdrawn: kept for the inspectors with what disproved them,
announced with ``violation.withdrawn``, gone from the public list and from /results.

Simulated as in test_out_of_order, without touching the shared broker: supervision is stopped while the case
runs, its ``task.completed`` deliveries are taken out of its queue, and put back after it took the rest.
"""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest

from sunlight.contracts import TASK_COMPLETED
from tests.faults.books import finish_patiently, patiently, submit_patiently, unpublished
from tests.faults.conftest import FaultyStack
from tests.faults.test_out_of_order import HELD_BACK, hold_back, release
from tests.integration.support import query

pytestmark = [pytest.mark.fault, pytest.mark.integration]

AUDIT_QUEUE = HELD_BACK["supervision"]


def _completion(message: Any) -> bool:
    return bool(message.delivery_info["routing_key"] == TASK_COMPLETED)


def _results_page(faulty: FaultyStack) -> str:
    with urllib.request.urlopen(f"{faulty.stack.web_url}/results", timeout=10) as response:  # noqa: S310
        return str(response.read().decode("utf-8"))


def _skipped_stages(rpc: Any, number: str, **asked: Any) -> list[dict[str, Any]]:
    return [v for v in rpc.supervision.violations(asked) if v["case_number"] == number and v["kind"] == "skipped-stage"]


def test_an_approval_seen_before_its_completions_is_withdrawn_when_they_arrive(faulty: FaultyStack, rpc: Any) -> None:
    # /results lists a violation only once it has stood 5 minutes (the grace for retries): here at once,
    # to see the accusation published and then withdrawn
    faulty.stack.start("gateway", {**faulty.env("gateway"), "RESULTS_VIOLATION_GRACE_SECONDS": "0"})
    faulty.stack.wait_healthy()
    faulty.stack.stop("supervision")
    number = finish_patiently(rpc, {**submit_patiently(rpc, 8400), "fees_due": []})
    patiently(lambda: unpublished(faulty.stack, "workflow") == 0 or None, what="workflow to publish the case's events")
    held = hold_back(faulty.stack.amqp_uri, AUDIT_QUEUE, _completion)
    tasks = query(faulty.stack, "workflow", "SELECT count(*) FROM outbox WHERE body LIKE :t AND body LIKE :n",
                  t=f'%"{TASK_COMPLETED}"%', n=f"%{number}%")[0][0]
    assert len(held) >= tasks >= 1, (len(held), tasks)

    # supervision comes back to the approval without the completions: every stage looks skipped
    faulty.start("supervision")
    raised = patiently(lambda: _skipped_stages(rpc, number) or None, what="the skipped stages to be raised")
    assert all(not v["withdrawn"] for v in raised)
    assert not _skipped_stages(rpc, number, settled_seconds=300), "the default grace would not list them yet"
    patiently(lambda: number in _results_page(faulty) or None, what="/results to list the accusation")

    # the completions arrive late, as from the retry queue: they happened before the approval
    release(faulty.stack.amqp_uri, AUDIT_QUEUE, held)
    patiently(lambda: not _skipped_stages(rpc, number) or None, what="the skipped stages to be withdrawn")
    assert number not in _results_page(faulty)
    kept = [v for v in rpc.supervision.inspect_violations() if v["case_number"] == number]
    assert sorted(v["target"] for v in kept) == sorted(v["target"] for v in raised)
    assert all(v["withdrawn"] and v["withdrawn_at"] and v["withdrawal_evidence"] for v in kept), kept
    assert _skipped_stages(rpc, number, include_withdrawn=True) == kept
    # the accusations and their withdrawals are both in the audit trail, the completions as evidence
    trail = rpc.supervision.inspect_case_trail(number)
    completions = {r["seq"] for r in trail if r["event_type"] == TASK_COMPLETED}
    withdrawals = [r for r in trail if r["event_type"] == "violation.withdrawn"]
    assert len(withdrawals) == len(raised) == len([r for r in trail if r["event_type"] == "violation.raised"])
    assert all(set(r["payload"]["evidence"]) <= completions for r in withdrawals)
    print(f"\nRELIABILITY late-completion backend={faulty.backend} held-back={len(held)} "
          f"raised-then-withdrawn={len(withdrawals)}")
