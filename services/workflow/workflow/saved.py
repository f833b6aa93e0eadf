"""Versioned case state: a case saved today can be restored and finished by a later release.

``to_state`` writes JSON-ready state tagged ``STATE_VERSION``; ``from_state`` reads this version and
migrates version 1 (the walking skeleton) on read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import date, datetime
from typing import Any

from sunlight.errors import ValidationFailed
from workflow.domain import AddedBranch, Case, Task

STATE_VERSION = 2
_INSTANTS = ("opened_at", "closed_at", "paused_at")
_TASK_INSTANTS = ("opened_at", "due_at", "completed_at")
_CASE_FIELDS = tuple(f.name for f in fields(Case))
_TASK_FIELDS = tuple(f.name for f in fields(Task))
_ALL_TASK_FIELDS = frozenset(_TASK_FIELDS)
_BRANCH_FIELDS = tuple(f.name for f in fields(AddedBranch))


def to_state(case: Case) -> dict[str, Any]:
    """Versioned, JSON-ready case state."""
    # field by field rather than ``dataclasses.asdict``, which deep-copies every value of every task:
    # tasks and added branches hold only strings and instants; the form and applicant are copied whole
    raw = {name: getattr(case, name) for name in _CASE_FIELDS}
    raw.update(applicant=_copied(case.applicant), form=_copied(case.form), added=[
        {name: getattr(branch, name) for name in _BRANCH_FIELDS} for branch in case.added])
    raw["promised_date"] = case.promised_date.isoformat()
    for key in _INSTANTS:
        raw[key] = raw[key].isoformat() if raw[key] else None
    raw["tasks"] = [_task_state(task) for task in case.tasks]
    return {"state_version": STATE_VERSION, "case": raw}


def _copied(value: Any) -> Any:
    """A copy of JSON-shaped data: new dicts and lists, the same immutable leaves (what ``deepcopy`` gives, faster)."""
    if isinstance(value, dict):
        return {key: _copied(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copied(item) for item in value]
    return value


def _task_state(task: Task) -> dict[str, Any]:
    raw = {name: getattr(task, name) for name in _TASK_FIELDS}
    for key in _TASK_INSTANTS:
        raw[key] = raw[key].isoformat() if raw[key] else None
    return raw


def from_state(state: Mapping[str, Any]) -> Case:
    """Restore a case saved by ``to_state`` (this version, or version 1 migrated)."""
    version = state.get("state_version")
    if version == 1:
        state = _migrate_v1(state)
    elif version != STATE_VERSION:
        raise ValidationFailed(f"unknown case state version {version!r}", {"state_version": [repr(version)]})
    raw = dict(state["case"])
    tasks = tuple(_task(t) for t in raw.pop("tasks"))
    added = tuple(AddedBranch(**a) for a in raw.pop("added"))
    return Case(**{**raw, "tasks": tasks, "added": added, "promised_date": date.fromisoformat(raw["promised_date"]),
                   **{k: _instant(raw[k]) for k in _INSTANTS}})


def _task(saved: Mapping[str, Any]) -> Task:
    values = {**saved, **{key: _instant(saved[key]) for key in _TASK_INSTANTS}}
    if values.keys() == _ALL_TASK_FIELDS:
        # every field saved: ``Task(**values)`` would only set them one by one through the frozen dataclass
        task = object.__new__(Task)
        task.__dict__.update(values)
        return task
    return Task(**values)  # an older task: the defaults of the fields it lacks (or TypeError on an unknown one)


def _migrate_v1(state: Mapping[str, Any]) -> dict[str, Any]:
    """Version 1 (the walking skeleton): strictly sequential stages, one open task at most."""
    raw = dict(state["case"])
    tasks = [dict(t) for t in raw["tasks"]]
    open_at = [i for i, t in enumerate(tasks) if t["status"] == "open"]
    raw.update(form={}, paused_at=None, stopped_seconds=0.0, added=[], tasks=tasks,
               position=tasks[open_at[0]]["stage"] if open_at else "",
               visit=open_at[0] if open_at else len(tasks))
    return {"state_version": STATE_VERSION, "case": raw}


def _instant(text: str | None) -> Any:
    return datetime.fromisoformat(text) if text else None
