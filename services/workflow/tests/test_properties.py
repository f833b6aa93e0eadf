"""Invariants of the engine, for any order of actions (hypothesis)."""

from __future__ import annotations

from collections import Counter

import pytest
from casekit import CALENDAR, SHIPPED, approve, at, open_on
from hypothesis import given, settings
from hypothesis import strategies as st

from sunlight.errors import Conflict
from workflow import actions, domain
from workflow.schemas import DefinitionSchema

PROCESSES = sorted(SHIPPED)


def n_of_m(m: int, n: int) -> domain.Definition:
    branches = [{"key": f"d{i}", "name": f"部门{i}", "department": f"dept-{i}", "role": "reviewer"} for i in range(m)]
    return DefinitionSchema().load({"key": "p", "version": 1, "name": "n of m", "stages": [
        {"key": "review", "name": "并联", "kind": "co_review", "join": "n_of_m", "join_n": n,
         "limit": {"working_days": 3}, "branches": branches},
        {"key": "approve", "name": "审批", "department": "leadership", "role": "leader", "limit": {"working_days": 1}},
    ]})


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_walk_of_any_process_never_approves_and_rejects_or_completes_a_task_twice(data: st.DataObject) -> None:
    definition = SHIPPED[data.draw(st.sampled_from(PROCESSES))]
    case = open_on(definition).case
    events = []
    for _ in range(60):
        if case.status in domain.CLOSED:
            break
        task = data.draw(st.sampled_from(case.open_tasks))
        action = data.draw(st.sampled_from(["approve", "approve", "approve", "reject", "return", "twice"]))
        if action == "return":
            returned = actions.return_for_correction(case, task_id=task.task_id, post=task.post, actor="a",
                                                    missing=["form"], reason="缺页", now=at(11, 3, 9))
            decision = actions.resume(returned.case, actor="intake", now=at(11, 4, 9), calendar=CALENDAR,
                                     after="returned")
            assert decision.case.position == case.position  # resumes at the stage it left
            assert decision.case.open_tasks == tuple(
                t for t in decision.case.tasks if t.task_id in {o.task_id for o in case.open_tasks})
            events += [*returned.events, *decision.events]
        elif action == "twice":
            decision = approve(definition, case, task)
            if task.task_id in {t.task_id for t in decision.case.tasks if t.status != "open"}:
                with pytest.raises(Conflict):
                    approve(definition, decision.case, task)
            events += decision.events
        else:
            decision = approve(definition, case, task, decision=action, opinion="意见")
            events += decision.events
        case = decision.case
    kinds = Counter(e.event_type for e in events)
    assert not (kinds["case.approved"] and kinds["case.rejected"])
    assert kinds["case.approved"] + kinds["case.rejected"] <= 1
    completed = Counter(e.payload["task_id"] for e in events if e.event_type == "task.completed")
    assert max(completed.values(), default=0) <= 1


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_an_n_of_m_join_fires_exactly_when_n_have_approved(data: st.DataObject) -> None:
    m = data.draw(st.integers(1, 5))
    n = data.draw(st.integers(1, m))
    definition = n_of_m(m, n)
    case = open_on(definition).case
    while case.position == "review":
        task = data.draw(st.sampled_from(case.open_tasks))
        verdict = data.draw(st.sampled_from(["approve", "reject"]))
        case = approve(definition, case, task, decision=verdict, opinion="意见").case
        approvals = sum(1 for t in case.tasks if t.decision == "approve")
        rejections = sum(1 for t in case.tasks if t.decision == "reject")
        if case.position == "approve":
            assert approvals == n
        elif case.status == "rejected":
            assert m - rejections < n
        else:
            assert approvals < n and m - rejections >= n


@settings(max_examples=40, deadline=None)
@given(st.permutations(range(4)), st.lists(st.sampled_from(["approve", "reject"]), min_size=4, max_size=4))
def test_any_interleaving_of_the_four_shop_sign_departments_gives_the_same_outcome(
        order: list[int], verdicts: list[str]) -> None:
    definition = SHIPPED[("shop-sign-approval", 1)]

    def run(sequence: list[int]) -> tuple[str, str]:
        case = open_on(definition).case
        branches = [t.branch for t in case.open_tasks]
        for index in sequence:
            task = next((t for t in case.open_tasks if t.branch == branches[index]), None)
            if task is None:
                break
            case = approve(definition, case, task, decision=verdicts[index], opinion="意见").case
        return case.status, case.position

    assert run(order) == run([0, 1, 2, 3])
