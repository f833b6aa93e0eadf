"""Process definitions: every shape loads, every structural fault is refused naming its path, and
every shipped process draws as a Mermaid flowchart."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from casekit import SHIPPED
from marshmallow import ValidationError

from workflow.process import END, mermaid
from workflow.schemas import DefinitionSchema

AGREED = {"handle-approve", "fast-track-registration", "construction-land-approval", "land-supply-approval",
          "shop-sign-approval", "muck-disposal-permit", "city-works-approval", "site-selection-pre-review"}


def load(stages: list[dict[str, Any]]) -> Any:
    return DefinitionSchema().load({"key": "p", "version": 1, "name": "测试", "stages": stages})


def refusal(stages: list[dict[str, Any]]) -> dict[str, Any]:
    with pytest.raises(ValidationError) as refused:
        load(stages)
    return dict(refused.value.messages)


def task(key: str, **more: Any) -> dict[str, Any]:
    return {"key": key, "name": key, "department": "dept", "role": "reviewer", "limit": {"working_days": 1},
            **more}


def co_review(key: str, n_branches: int, **more: Any) -> dict[str, Any]:
    branches = [{"key": f"d{i}", "name": f"部门{i}", "department": f"dept-{i}", "role": "reviewer"}
                for i in range(n_branches)]
    return {"key": key, "name": key, "kind": "co_review", "limit": {"working_days": 3}, "branches": branches,
            **more}


def test_every_agreed_process_key_ships_and_loads() -> None:
    assert {key for key, _ in SHIPPED} == AGREED


def test_the_yangzhou_land_supply_has_more_than_ten_stages_parallel_checks_a_meeting_and_five_signers() -> None:
    definition = SHIPPED[("land-supply-approval", 1)]
    kinds = {stage.kind: stage for stage in definition.stages}
    assert len(definition.stages) > 10
    assert {b.key for b in kinds["co_review"].branches} == {"ownership", "area", "valuation"}
    assert len(kinds["meeting"].branches) == 8 and kinds["meeting"].on_disagreement == "coordination"
    assert len(kinds["signing"].branches) == 5


def test_fast_track_is_one_accept_one_handle_one_approve_within_two_working_hours() -> None:
    stages = SHIPPED[("fast-track-registration", 1)].stages
    assert [s.key for s in stages] == ["accept", "handle", "approve"]
    assert sum(s.limit.working_hours or 0 for s in stages) == 2


def test_a_stage_without_next_goes_to_the_one_below_and_the_last_to_the_end() -> None:
    choice = {"key": "b", "name": "b", "kind": "choice", "otherwise": "c",
              "rules": [{"field": "x", "op": "gt", "value": 1, "goto": "d"}]}
    definition = load([task("a"), choice, task("c"), task("d")])
    assert [s.next for s in definition.stages if s.kind != "choice"] == ["b", "d", END]


def test_a_limit_is_in_working_days_or_working_hours_never_both() -> None:
    assert load([task("a", limit={"working_hours": 1.5})]).stages[0].limit.working_hours == 1.5
    assert refusal([task("a", limit={"working_days": 1, "working_hours": 2})]) == {
        "stages": {0: {"limit": {"_schema": ["give exactly one of working_days or working_hours"]}}}}


def test_an_unreachable_stage_is_refused_by_its_path() -> None:
    errors = refusal([task("a", next="c"), task("b"), task("c")])
    assert errors == {"stages.1": ["stage 'b' is unreachable from 'a'"]}


def test_a_route_to_a_stage_that_does_not_exist_is_refused_by_its_path() -> None:
    errors = refusal([task("a", next="nowhere"), co_review("b", 2, on_disagreement="gone")])
    assert errors == {"stages.0.next": ["no stage 'nowhere'"], "stages.1.on_disagreement": ["no stage 'gone'"]}


@pytest.mark.parametrize("n", [0, 4])
def test_a_join_of_n_of_m_that_can_never_fire_is_refused(n: int) -> None:
    errors = refusal([co_review("review", 3, join="n_of_m", join_n=n)])
    assert errors == {"stages.0.join": [f"join {n} of 3 can never fire"]}


def test_a_parallel_stage_without_branches_is_refused() -> None:
    assert refusal([co_review("review", 0)]) == {"stages.0.branches": ["a co_review stage needs at least one branch"]}


def test_a_meeting_without_a_coordination_stage_is_refused() -> None:
    meeting = {**co_review("meeting", 2), "kind": "meeting"}
    assert refusal([meeting]) == {
        "stages.0.on_disagreement": ["a meeting needs a coordination stage for disagreements"]}


def test_a_cycle_with_no_exit_is_refused_naming_the_loop() -> None:
    errors = refusal([task("a"), task("b"), task("c", next="b")])
    assert errors["stages.1"] == ["cycle with no exit: b → c → b"]
    assert errors["stages.0"] and errors["stages.2"]


def test_a_loop_that_a_choice_can_leave_is_accepted() -> None:
    choice = {"key": "again", "name": "再审?", "kind": "choice", "otherwise": END,
              "rules": [{"field": "redo", "op": "eq", "value": "yes", "goto": "a"}]}
    assert load([task("a"), choice]).stages[1].rules[0].goto == "a"


def test_every_bad_field_of_a_stage_is_named_at_once() -> None:
    errors = refusal([{"key": "a", "name": "a", "kind": "parallel", "join": "most", "limit": {"working_days": -1}},
                      {"key": "b", "name": "b", "kind": "choice", "rules": [{"field": "x", "op": "over", "value": 1}]}])
    assert errors["stages"][0] == {"kind": ["Must be one of: task, co_review, meeting, signing, choice."],
                                   "join": ["Must be one of: all, any, n_of_m."],
                                   "limit": {"working_days": ["Must be greater than or equal to 0 and less than "
                                                              "or equal to 365."]}}
    assert errors["stages"][1] == {"rules": {0: {"op": ["Must be one of: gt, ge, lt, le, eq, ne."],
                                                 "goto": ["Missing data for required field."]}},
                                   "otherwise": ["a choice needs a stage to go to otherwise"]}


@pytest.mark.parametrize("identity", sorted(SHIPPED))
def test_every_shipped_process_draws_as_a_mermaid_flowchart(identity: tuple[str, int]) -> None:
    chart = mermaid(SHIPPED[identity])
    assert chart.startswith("flowchart TD\n")
    for stage in SHIPPED[identity].stages:
        assert stage.name in chart


def test_the_shop_sign_chart_shows_four_departments_joining_before_the_leader() -> None:
    chart = mermaid(SHIPPED[("shop-sign-approval", 1)])
    for department in ("城管", "商务", "交警", "规划"):
        assert f'["{department}<br/>' in chart
    assert "co_review --> approve" in chart and "approve --> end_" in chart


def test_the_mermaid_command_prints_a_process_and_names_an_unknown_one() -> None:
    root = Path(__file__).resolve().parents[1]
    run = [sys.executable, "-m", "workflow.mermaid"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(root.parents[1] / "lib")])}
    shown = subprocess.run([*run, "construction-land-approval"], cwd=root, capture_output=True, text=True,
                           check=True, env=env)
    assert "area_check -- area_mu gt 35 --> government_approve" in shown.stdout
    missing = subprocess.run([*run, "no-such-process"], cwd=root, capture_output=True, text=True, env=env)
    assert missing.returncode != 0 and "no-such-process" in missing.stderr


def test_definition_files_reject_unknown_fields() -> None:
    raw = yaml.safe_load("{key: p, version: 1, name: x, stages: [{key: a, name: a, department: d, role: r, "
                         "limit: {working_days: 1}, owner: me}]}")
    with pytest.raises(ValidationError) as refused:
        DefinitionSchema().load(raw)
    assert refused.value.messages == {"stages": {0: {"owner": ["Unknown field."]}}}
