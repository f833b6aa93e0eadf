"""Every shipped process, saved at every stage as versioned JSON, restores and finishes."""

from __future__ import annotations

import json

import pytest
from casekit import CALENDAR, SHIPPED, approve, at, finish, open_on

from workflow import actions, saved


@pytest.mark.parametrize("identity", sorted(SHIPPED))
def test_every_process_restored_at_every_step_finishes_approved(identity: tuple[str, int]) -> None:
    definition = SHIPPED[identity]
    case = open_on(definition).case
    steps = 0
    while case.status == "open":
        stored = json.loads(json.dumps(saved.to_state(case)))  # as the database holds it
        restored = saved.from_state(stored)
        assert restored == case
        final = finish(definition, restored)
        assert final.status == "approved"
        assert saved.to_state(final) == saved.to_state(finish(definition, case))
        case = approve(definition, case, case.open_tasks[0]).case
        steps += 1
    assert steps >= len([s for s in definition.stages if s.kind == "task"]) - 1


def test_a_version_1_state_from_the_walking_skeleton_is_migrated_and_finishes() -> None:
    definition = SHIPPED[("handle-approve", 1)]
    case = approve(definition, open_on(definition).case, open_on(definition).case.open_tasks[0]).case
    v1 = saved.to_state(case)
    for key in ("form", "position", "visit", "paused_at", "stopped_seconds", "added"):
        del v1["case"][key]
    for task in v1["case"]["tasks"]:
        for key in ("branch", "claimed_by", "delegated_from"):
            del task[key]
    restored = saved.from_state({**json.loads(json.dumps(v1)), "state_version": 1})
    assert restored.position == "approve"
    assert finish(definition, restored).status == "approved"


def test_a_shop_sign_with_an_added_co_reviewer_and_a_nested_form_is_saved_and_restored_whole() -> None:
    shop_sign = SHIPPED[("shop-sign-approval", 1)]
    form = {"location": "拱墅区湖州街1号", "signs": [{"area_m2": 6.5, "lit": True}], "months": 12}
    case = open_on(shop_sign, form=form).case
    case = actions.add_co_reviewer(shop_sign, case, department="fire-brigade", role="reviewer", name="消防",
                                   actor="科长", now=at(11, 2, 10), calendar=CALENDAR).case
    state = saved.to_state(case)
    restored = saved.from_state(json.loads(json.dumps(state)))
    assert restored == case
    assert [a.department for a in restored.added] == ["fire-brigade"]
    state["case"]["form"]["signs"][0]["area_m2"] = 99  # the saved state is a copy, not the live case
    assert case.form["signs"][0]["area_m2"] == 6.5
