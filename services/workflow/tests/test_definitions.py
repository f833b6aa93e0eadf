"""Versioned process definitions: loaded from files, refused with every error, newest for new cases."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from sunlight.calendar import SHANGHAI, WorkingCalendar
from sunlight.errors import NotFound, ValidationFailed
from workflow import domain, saved
from workflow.definitions import DEFINITIONS, latest, load_definitions

CALENDAR = WorkingCalendar()

HANDLE_APPROVE_V1 = """
key: handle-approve
version: {version}
name: 承办—审批
stages:
  - {{key: handle, name: 承办, department: approval-section, role: reviewer, limit: {{working_days: 2}}}}
  - {{key: approve, name: 审批, department: leadership, role: leader, limit: {{working_days: 1}}}}
"""

# v2 puts a section chief's review (科长审核) between handling and the leader's approval
HANDLE_REVIEW_APPROVE_V2 = """
key: handle-approve
version: 2
name: 承办—审核—审批
stages:
  - {key: handle, name: 承办, department: approval-section, role: reviewer, limit: {working_days: 2}}
  - {key: review, name: 审核, department: approval-section, role: chief, limit: {working_days: 1}}
  - {key: approve, name: 审批, department: leadership, role: leader, limit: {working_days: 1}}
"""


def folder(tmp_path: Path, **files: str) -> Path:
    for name, text in files.items():
        (tmp_path / f"{name}.yml").write_text(text, encoding="utf-8")
    return tmp_path


def refusal(path: Path) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as refused:
        load_definitions(path)
    assert refused.value.message == "process definitions are invalid"
    return refused.value


def accepted(number: str) -> dict[str, object]:
    return {"application_number": number, "item_code": "GS-CG-0201", "item_name": "户外招牌设置审批",
            "tenant": "gs-city", "applicant": {"name": "王小明", "mobile": "13800571234"},
            "certificate_kind": "permit", "promised_date": date(2026, 3, 9)}


def test_the_shipped_handle_approve_definition_has_a_reviewer_stage_and_a_leader_stage() -> None:
    assert DEFINITIONS.is_dir()
    definitions = load_definitions()
    assert ("handle-approve", 1) in definitions
    definition = definitions[("handle-approve", 1)]
    assert definition.name == "承办—审批"
    assert definition.stages == (
        domain.Stage(key="handle", name="承办", department="approval-section", role="reviewer",
                     limit=domain.Limit(working_days=2), next="approve"),
        domain.Stage(key="approve", name="审批", department="leadership", role="leader",
                     limit=domain.Limit(working_days=1)),
    )


def test_latest_picks_the_highest_version_not_the_last_file_read(tmp_path: Path) -> None:
    definitions = load_definitions(folder(
        tmp_path,
        **{"handle-approve.v10": HANDLE_APPROVE_V1.format(version=10),
           "handle-approve.v9": HANDLE_APPROVE_V1.format(version=9),
           "handle-approve.v2": HANDLE_REVIEW_APPROVE_V2}))
    assert set(definitions) == {("handle-approve", 2), ("handle-approve", 9), ("handle-approve", 10)}
    assert latest(definitions, "handle-approve").version == 10


def test_latest_of_an_unknown_process_is_not_found_naming_it() -> None:
    with pytest.raises(NotFound) as missing:
        latest(load_definitions(), "co-review")
    assert "co-review" in missing.value.message
    assert missing.value.fields == {"process": ["unknown process"]}


def test_a_running_case_keeps_its_version_while_new_cases_start_on_the_newest(tmp_path: Path) -> None:
    path = folder(tmp_path, **{"handle-approve.v1": HANDLE_APPROVE_V1.format(version=1)})
    monday = datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)
    running = domain.open_case(latest(load_definitions(path), "handle-approve"), accepted("GS-2026-000001"),
                               monday, CALENDAR).case
    stored = saved.to_state(running)

    folder(path, **{"handle-approve.v2": HANDLE_REVIEW_APPROVE_V2})  # the new release ships v2
    definitions = load_definitions(path)
    case = saved.from_state(stored)
    own = definitions[(case.definition_key, case.definition_version)]
    after_handle = domain.complete_task(
        own, case, task_id=case.tasks[0].task_id, post="gs-city/approval-section/reviewer", actor="李娜",
        decision="approve", opinion="拟同意", now=monday, calendar=CALENDAR).case
    assert case.definition_version == 1
    assert after_handle.open_tasks[0].stage == "approve"  # v1 has no review stage

    fresh = domain.open_case(latest(definitions, "handle-approve"), accepted("GS-2026-000002"), monday, CALENDAR)
    assert fresh.case.definition_version == 2
    assert fresh.events[0].payload["definition_version"] == 2


def test_duplicate_stage_keys_are_refused_together_with_every_other_bad_field(tmp_path: Path) -> None:
    text = """
key: Handle_Approve
version: 0
name: 承办—审批
stages:
  - {key: handle, name: 承办, department: approval-section, role: reviewer, limit: {working_days: 2}}
  - {key: handle, name: 审批, department: leadership, role: Leader, limit: {working_days: -1}}
"""
    refused = refusal(folder(tmp_path, **{"handle-approve.v0": text}))
    errors = refused.fields["handle-approve.v0.yml"]
    assert errors["key"] == ["lower-case letters, digits and - only"]
    assert errors["version"] == ["Must be greater than or equal to 1."]
    assert errors["stages"][1] == {
        "role": ["lower-case letters, digits and - only"],
        "limit": {"working_days": ["Must be greater than or equal to 0 and less than or equal to 365."]},
    }
    assert errors["stages"]["_schema"] == ["duplicate stage keys: handle"]


def test_duplicate_stage_keys_alone_are_refused(tmp_path: Path) -> None:
    text = HANDLE_APPROVE_V1.format(version=1).replace("key: approve", "key: handle")
    refused = refusal(folder(tmp_path, **{"handle-approve.v1": text}))
    assert refused.fields == {"handle-approve.v1.yml": {"stages": ["duplicate stage keys: handle"]}}


def test_every_bad_file_is_named_while_good_files_do_not_hide_them(tmp_path: Path) -> None:
    refused = refusal(folder(
        tmp_path,
        **{"handle-approve.v1": HANDLE_APPROVE_V1.format(version=1),
           "co-review.v1": "key: co-review\nversion: 1\nname: 会签\nstages: []\n",
           "sign.v1": "key: sign\nversion: 1\nname: 签发\nstages:\n  - {key: sign, name: 签发}\n"}))
    assert refused.fields == {
        "co-review.v1.yml": {"stages": ["Shorter than minimum length 1."]},
        "sign.v1.yml": {"stages": {0: {"department": ["Missing data for required field."],
                                       "role": ["Missing data for required field."],
                                       "limit": ["Missing data for required field."]}}},
    }


def test_two_files_claiming_the_same_version_are_refused(tmp_path: Path) -> None:
    refused = refusal(folder(
        tmp_path,
        **{"handle-approve.v2": HANDLE_REVIEW_APPROVE_V2,
           "handle-approve.v2-hotfix": HANDLE_APPROVE_V1.format(version=2)}))
    assert refused.fields == {"handle-approve.v2.yml": {
        "version": ["handle-approve v2 is also defined in handle-approve.v2-hotfix.yml"]}}


def test_a_file_that_is_not_yaml_is_named(tmp_path: Path) -> None:
    refused = refusal(folder(tmp_path, **{"handle-approve.v1": "key: handle-approve\nstages: [unclosed\n"}))
    [reason] = refused.fields["handle-approve.v1.yml"]
    assert reason.startswith("not valid YAML")
