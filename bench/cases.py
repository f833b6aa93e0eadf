"""End to end: shop-sign cases (GS-CG-0202, process shop-sign-approval) through the running services.

Each case: submit at intake → four departments approve in parallel (their four calls in flight at
once) → the leader approves → the fees are paid → registry issues the permit → notify sends the SMS.
People act the instant their task exists: the driver hears workflow's ``task.created`` and notify's
``sms.sent`` (bench.events) and then reads the case once through the service's API, so the services
spend their CPU on the cases, not on answering a poll. Where the step comes later than the call that
started it (workflow opens the case on intake's event; registry issues and notify texts on the payment's
events), the driver waits to hear it before the first read: reading at once found nothing, once per case
a ``messages_for_case`` with no permit SMS yet, and at times a ``get_case`` that workflow refused as an
unknown case (0.1 times per case in ``make bench-e2e``; 0.7 with the services slowed by a profiler).
After a leader's or department's decision the next task is in place when workflow answers, so that read
is made at once. A wait that hears nothing reads anyway every second
(``FALLBACK_SECONDS``). The end state, the permit SMS sent, is checked with
``notify.messages_for_case``. ``WINDOWS`` cases run at a time.
"""

from __future__ import annotations

import time
from typing import Any

from bench.events import FALLBACK_SECONDS, CaseEvents, Watch, case_events
from bench.load import closed_loop, for_duration, rpc_clients, with_client
from tools.drive import digest, pay_fees, sample_application, wait_for
from tools.stack import Stack

ITEM = "GS-CG-0202"
MATERIALS = ("application-form", "business-licence", "design-drawing", "owner-consent")


#: what the clerks wait for (bench.events): a task to act on, and the permit SMS that ends the case
HEARD = {"workflow": ("task.created",), "notify": ("sms.sent",)}
BATCH = f"{time.time_ns()}/"  # fresh files per run: intake takes the same applicant+item+files as a repeat


def application(i: int) -> dict[str, Any]:
    base = sample_application(i, item_code=ITEM)
    base["materials"] = {code: digest(f"{BATCH}{i}/{code}") for code in MATERIALS}
    base["form"] = {"location": f"拱墅区湖州街{i}号", "area_m2": 6.5, "months": 12}
    return base


def open_tasks(rpc: Any, watch: Watch, stage: str, count: int, timeout: float, *,
               heard_first: bool = False) -> list[dict[str, Any]]:
    """The ``count`` open tasks of ``stage``, read from workflow when it has said it created a task
    (``heard_first``: not before; else read at once, and again on each ``task.created``)."""
    if heard_first:
        watch.until("task.created")(FALLBACK_SECONDS)

    def probe() -> list[dict[str, Any]] | None:
        tasks = [t for t in rpc.workflow.get_case(watch.number)["tasks"]
                 if t["stage"] == stage and t["status"] == "open"]
        return tasks if len(tasks) == count else None

    return wait_for(probe, timeout=timeout, what=f"{count} open {stage} task(s) of {watch.number}",
                    every=FALLBACK_SECONDS, pause=watch.until("task.created"))


def permit_sms(rpc: Any, watch: Watch, timeout: float) -> list[dict[str, Any]]:
    """The permit SMS as notify reports it, read when notify has said it sent it (not before)."""
    watch.until("sms.sent:certificate_issued")(FALLBACK_SECONDS)
    return wait_for(lambda: [m for m in rpc.notify.messages_for_case(watch.number)
                             if m["status"] in ("sent", "delivered") and m["template"] == "certificate_issued"]
                    or None, timeout=timeout, what=f"the permit SMS of {watch.number}",
                    every=FALLBACK_SECONDS, pause=watch.until("sms.sent:certificate_issued"))


def one_case(rpc: Any, events: CaseEvents, i: int, timeout: float = 60) -> float:
    """Drive one case to its SMS; returns its submit-to-SMS seconds."""
    return numbered_case(rpc, events, i, timeout)[1]


def numbered_case(rpc: Any, events: CaseEvents, i: int, timeout: float = 60) -> tuple[str, float]:
    """Drive one case to its SMS; returns its application number and its submit-to-SMS seconds."""
    t0 = time.perf_counter()
    receipt = rpc.intake.submit_application(application(i))
    with events.watch(receipt["application_number"]) as watch:
        replies = [rpc.workflow.complete_task.call_async({
            "task_id": t["task_id"], "post": t["post"], "actor": "审查员", "decision": "approve", "opinion": "同意"})
            for t in open_tasks(rpc, watch, "co-review", 4, timeout, heard_first=True)]
        for reply in replies:
            reply.result()
        leader = open_tasks(rpc, watch, "approve", 1, timeout)[0]
        rpc.workflow.complete_task({"task_id": leader["task_id"], "post": leader["post"], "actor": "领导",
                                    "decision": "approve", "opinion": "同意。"})
        pay_fees(rpc, receipt, timeout=timeout)
        permit_sms(rpc, watch, timeout)
    return receipt["application_number"], time.perf_counter() - t0


def run(stack: Stack, cases: int, windows: int, first: int = 0) -> tuple[float, list[float]]:
    """Cases per second over ``cases`` cases, ``windows`` at a time; and each case's latency."""
    with case_events(stack.amqp_uri, HEARD) as events, rpc_clients(stack, windows) as clients:
        return closed_loop(with_client(clients, lambda rpc, i: one_case(rpc, events, i)),
                           range(first, first + cases), windows)


def for_a_while(stack: Stack, seconds: float, windows: int, first: int = 0) -> tuple[float, list[tuple[str, float]]]:
    """Cases/s over ``seconds`` of closed-loop load (``windows`` at a time); each case's number and latency."""
    with case_events(stack.amqp_uri, HEARD) as events, rpc_clients(stack, windows) as clients:
        return for_duration(with_client(clients, lambda rpc, i: numbered_case(rpc, events, i)), seconds, windows, first)
