"""Routing core in process: shop-sign cases through workflow's engine vs SpiffWorkflow on the same shape.

One case is six transitions: open (into the four-department parallel co-review), four approvals
(the fourth joins and opens the leader's task), the leader's approval (closes the case). The
baseline is SpiffWorkflow running an equivalent BPMN: start → parallel split → 4 user tasks →
parallel join → 1 user task (sign) → end, with each user task run in turn and the engine stepped.

Both run in this process and use only the CPU, so each is timed by this process's CPU time
(``time.process_time``), not the wall clock: on a shared machine, another helper's tests would
otherwise count against whichever engine happened to run beside them.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sunlight.calendar import WorkingCalendar
from workflow import domain
from workflow.definitions import latest, load_definitions

TRANSITIONS_PER_CASE = 6
REVIEWERS = ("city-management", "commerce", "traffic-police", "planning")

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="sunlight">
  <bpmn:process id="shop_sign" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="split"/>
    <bpmn:parallelGateway id="split"><bpmn:incoming>f0</bpmn:incoming>{split_out}</bpmn:parallelGateway>
    {reviews}
    <bpmn:parallelGateway id="join">{join_in}<bpmn:outgoing>f9</bpmn:outgoing></bpmn:parallelGateway>
    <bpmn:sequenceFlow id="f9" sourceRef="join" targetRef="sign"/>
    <bpmn:userTask id="sign"><bpmn:incoming>f9</bpmn:incoming><bpmn:outgoing>f10</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="f10" sourceRef="sign" targetRef="end"/>
    <bpmn:endEvent id="end"><bpmn:incoming>f10</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def bpmn() -> str:
    keys = [k.replace("-", "_") for k in REVIEWERS]
    reviews = "".join(
        f'<bpmn:sequenceFlow id="s_{k}" sourceRef="split" targetRef="{k}"/>'
        f'<bpmn:userTask id="{k}"><bpmn:incoming>s_{k}</bpmn:incoming><bpmn:outgoing>j_{k}</bpmn:outgoing>'
        f'</bpmn:userTask><bpmn:sequenceFlow id="j_{k}" sourceRef="{k}" targetRef="join"/>' for k in keys)
    return BPMN.format(split_out="".join(f"<bpmn:outgoing>s_{k}</bpmn:outgoing>" for k in keys),
                       join_in="".join(f"<bpmn:incoming>j_{k}</bpmn:incoming>" for k in keys), reviews=reviews)


def accepted(i: int) -> dict[str, Any]:
    return {"application_number": f"GS-2026-{i:06d}", "item_code": "GS-CG-0201", "item_name": "户外招牌设置审批",
            "tenant": "gs-city", "applicant": {"name": "张伟", "mobile": "13805710001"},
            "certificate_kind": "permit", "promised_date": date(2027, 1, 8), "form": {}}


def sunlight_case(definition: domain.Definition, calendar: WorkingCalendar, i: int, now: datetime) -> int:
    """One shop-sign case from open to approved; returns the transitions it took."""
    case = domain.open_case(definition, accepted(i), now, calendar).case
    transitions = 1
    while case.status == "open":
        task = case.open_tasks[0]
        now += timedelta(minutes=5)
        case = domain.complete_task(definition, case, task_id=task.task_id, post=task.post, actor="审查员",
                                    decision="approve", opinion="同意", now=now, calendar=calendar).case
        transitions += 1
    assert case.status == "approved", case.status
    return transitions


def sunlight_rate(cases: int) -> float:
    """Engine transitions per second, shop-sign cases run one after another in this process."""
    definition = latest(load_definitions(), "shop-sign-approval")
    calendar = WorkingCalendar.default()
    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    sunlight_case(definition, calendar, 0, now)
    started = time.process_time()
    transitions = sum(sunlight_case(definition, calendar, i, now) for i in range(cases))
    assert transitions == cases * TRANSITIONS_PER_CASE
    return transitions / (time.process_time() - started)


def spiff_rate(cases: int) -> float:
    """SpiffWorkflow transitions per second on the equivalent BPMN (same count per case)."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.bpmn.parser import BpmnParser
    from SpiffWorkflow.util.task import TaskState

    parser = BpmnParser()
    parser.add_bpmn_str(bpmn().encode())
    spec = parser.get_spec("shop_sign")

    def one() -> int:
        workflow = BpmnWorkflow(spec)
        workflow.do_engine_steps()
        transitions = 1
        while not workflow.is_completed():
            ready = workflow.get_tasks(state=TaskState.READY, manual=True)
            ready[0].run()
            workflow.do_engine_steps()
            transitions += 1
        return transitions

    assert one() == TRANSITIONS_PER_CASE
    started = time.process_time()
    transitions = sum(one() for _ in range(cases))
    return transitions / (time.process_time() - started)
