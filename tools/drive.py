"""Drive applications through a running stack over RPC, the way a window and two officials would.

Shared by ``make demo``, the integration tests and the benchmarks, so all three exercise the
same path: submit at intake → the reviewer handles → the leader approves → wait for the
certificate, the SMS and the audit trail.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from intake.domain import credit_code_check, resident_id_check
from sunlight.errors import Conflict, NotFound

T = TypeVar("T")



def digest(name: str) -> str:
    """A stand-in sha256 for the file of one material: distinct files, since a file handed in twice is refused."""
    return hashlib.sha256(name.encode()).hexdigest()


def resident_id(seventeen: str) -> str:
    """Complete a 17-digit citizen ID with its GB 11643 check character (intake's own rule)."""
    return seventeen + resident_id_check(seventeen)


def credit_code(seventeen: str) -> str:
    """Complete a 17-character unified social credit code with its GB 32100 check character."""
    return seventeen + credit_code_check(seventeen)


PEOPLE = (
    ("张伟", "33010619850312001"),
    ("王芳", "33010519900721002"),
    ("李娜", "33010219781105003"),
    ("刘洋", "33010319951230004"),
)
COMPANIES = (
    ("杭州远景智造有限公司", "91330106MA2H0000"),
    ("拱墅区湖墅南路小笼包店", "92330105MA2C0000"),
)


def sample_application(index: int, *, item_code: str | None = None, batch: str = "") -> dict[str, Any]:
    """A complete application: land registration for a company, or a shop sign for a shop.

    The same index gives the same files, which intake takes as the same application within its
    repeat window; a different ``batch`` (the demo uses one per run) gives fresh files.
    """
    code = item_code or ("HZ-DJ-0101" if index % 2 == 0 else "GS-CG-0201")
    if code == "HZ-DJ-0101":
        name, prefix = COMPANIES[0]
        materials = ("application-form", "identity", "grant-contract", "premium-receipt", "parcel-map")
        applicant = {"name": name, "kind": "company", "id_number": credit_code(prefix + str(index % 10))}
    else:
        name, prefix = PEOPLE[index % len(PEOPLE)]
        materials = ("application-form", "business-licence", "design-drawing")
        applicant = {"name": name, "kind": "person", "id_number": resident_id(prefix)}
    applicant["mobile"] = f"1380571{index % 10000:04d}"
    return {
        "item_code": code,
        "applicant": applicant,
        "materials": {code: digest(f"{batch}{index}/{code}") for code in materials},
        "channel": "counter" if index % 3 == 0 else "online",
        **({"clerk_id": "window-01"} if index % 3 == 0 else {}),
    }


def wait_for(probe: Callable[[], T | None], *, timeout: float, what: str, every: float = 0.05,
             pause: Callable[[float], object] | None = None) -> T:
    """Poll ``probe`` until it returns something (NotFound counts as not yet).

    Between two probes, ``pause(every)``: ``time.sleep`` unless the caller has something that ends the
    pause early when there is news (the benchmarks wake on the services' events, bench.events).
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = probe()
        except NotFound:
            value = None
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout}s waiting for {what}")
        (pause or time.sleep)(every)


LAST_STEPS = {"application.accepted", "case.opened", "case.approved", "certificate.issued", "sms.sent"}


@dataclass
class Outcome:
    """Everything one application produced, as each service reports it."""

    receipt: dict[str, Any]
    case: dict[str, Any] = field(default_factory=dict)
    certificate: dict[str, Any] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    trail: list[dict[str, Any]] = field(default_factory=list)

    @property
    def number(self) -> str:
        return str(self.receipt["application_number"])


def decide(rpc: Any, case_number: str, *, timeout: float = 30, every: float = 0.05,
           pause: Callable[[float], object] | None = None) -> None:
    """Every post with an open task approves it, stage after stage, until the case is closed.

    Works for any process: a fast track's three steps, four departments in parallel, a chain of
    leaders signing. Each task is approved once; the loop waits for workflow to open the next ones,
    reading the case every ``every`` seconds, or sooner when ``pause`` (see ``wait_for``) ends early.
    """
    done: set[str] = set()

    def next_tasks() -> list[dict[str, Any]] | None:
        case = rpc.workflow.get_case(case_number)
        if case["status"] != "open":
            return []
        fresh = [t for t in case["tasks"] if t["status"] == "open" and t["task_id"] not in done]
        return fresh or None

    while tasks := wait_for(next_tasks, timeout=timeout, what=f"the next open task of {case_number}",
                            every=every, pause=pause):
        for task in tasks:
            rpc.workflow.complete_task({"task_id": task["task_id"], "post": task["post"],
                                        "actor": f"staff-{task['stage']}", "decision": "approve",
                                        "opinion": "材料齐全，符合条件，同意。"})
            done.add(task["task_id"])


def pay_fees(rpc: Any, receipt: dict[str, Any], *, timeout: float = 30) -> None:
    """The applicant pays every fee the receipt lists, at the window (registry issues when all are paid)."""
    for fee in receipt.get("fees_due", []):
        payment = {"case_number": receipt["application_number"], "fee_code": fee["code"],
                   "amount_fen": fee["amount_fen"], "clerk": "window-01"}
        # registry learns the case's fees from application.accepted, which may still be on its way
        try:
            wait_for(lambda p=payment: rpc.registry.record_payment(p), timeout=timeout,
                     what=f"registry to take the {fee['code']} payment of {receipt['application_number']}")
        except Conflict:  # paid before: a repeated application gets the first receipt, already paid
            continue


def finish(rpc: Any, outcome: Outcome, *, timeout: float = 30) -> Outcome:
    """Pay what is due, then wait until the certificate, the SMS and the audit trail are all there."""
    number = outcome.number
    pay_fees(rpc, outcome.receipt, timeout=timeout)
    outcome.certificate = wait_for(lambda: rpc.registry.certificate_for_case(number),
                                   timeout=timeout, what=f"the certificate of {number}")
    outcome.messages = wait_for(
        lambda: [m for m in rpc.notify.messages_for_case(number)
                 if m["status"] in ("sent", "delivered") and m["template"] == "certificate_issued"] or None,
        timeout=timeout, what=f"the completion SMS of {number}",
    )

    def whole_trail() -> list[dict[str, Any]] | None:
        # replicas of supervision record concurrently: wait for every step, not just the last one;
        # every SMS notify has sent about the case so far (acceptance, staff tasks, completion) is audited
        sent = [m for m in rpc.notify.messages_for_case(number) if m["status"] in ("sent", "delivered")]
        trail: list[dict[str, Any]] = rpc.supervision.case_audit_trail(number)
        audited = [e for e in trail if e["event_type"] == "sms.sent"]
        complete = {e["event_type"] for e in trail} >= LAST_STEPS and len(audited) >= len(sent)
        return trail if complete else None

    outcome.trail = wait_for(whole_trail, timeout=timeout, what=f"the audit trail of {number}")
    outcome.case = rpc.workflow.get_case(number)
    return outcome


def drive_one(rpc: Any, application: dict[str, Any], *, timeout: float = 30) -> Outcome:
    """One application from the window to the SMS."""
    outcome = Outcome(receipt=rpc.intake.submit_application(application))
    decide(rpc, outcome.number, timeout=timeout)
    return finish(rpc, outcome, timeout=timeout)
