"""The routing engine: pure functions from (definition, case state, command) to (state, events).

No nameko, no database, no clock: ``now`` and the calendar come in as arguments. Case state is a
plain dataclass that serializes to versioned JSON (``STATE_VERSION``), so a case saved today can be
restored and finished by a later release.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import Any, Protocol

from sunlight.contracts import (
    CASE_APPROVED,
    CASE_OPENED,
    CASE_REJECTED,
    TASK_COMPLETED,
    TASK_CREATED,
    Event,
    new_event,
)
from sunlight.errors import Conflict, Forbidden, NotFound, ValidationFailed

STATE_VERSION = 1
DECISIONS = ("approve", "reject")


class Deadlines(Protocol):
    def deadline(self, start: datetime, working_days: int) -> datetime: ...


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    department: str
    role: str
    limit_working_days: int


@dataclass(frozen=True)
class Definition:
    key: str
    version: int
    name: str
    stages: tuple[Stage, ...]

    def stage(self, key: str) -> Stage:
        for stage in self.stages:
            if stage.key == key:
                return stage
        raise NotFound(f"definition {self.key} v{self.version} has no stage {key!r}")

    def after(self, key: str) -> Stage | None:
        keys = [stage.key for stage in self.stages]
        index = keys.index(key)
        return self.stages[index + 1] if index + 1 < len(self.stages) else None


@dataclass(frozen=True)
class Task:
    task_id: str
    stage: str
    post: str
    opened_at: datetime
    due_at: datetime
    status: str = "open"  # open | completed
    actor: str = ""
    decision: str = ""
    opinion: str = ""
    completed_at: datetime | None = None


@dataclass(frozen=True)
class Case:
    case_number: str
    item_code: str
    item_name: str
    tenant: str
    definition_key: str
    definition_version: int
    applicant: dict[str, str]
    certificate_kind: str
    promised_date: date
    opened_at: datetime
    status: str = "open"  # open | approved | rejected
    tasks: tuple[Task, ...] = field(default_factory=tuple)
    closed_at: datetime | None = None

    def task(self, task_id: str) -> Task:
        for task in self.tasks:
            if task.task_id == task_id:
                return task
        raise NotFound(f"case {self.case_number} has no task {task_id!r}", {"task_id": ["unknown task"]})

    @property
    def open_tasks(self) -> tuple[Task, ...]:
        return tuple(task for task in self.tasks if task.status == "open")


@dataclass(frozen=True)
class Decision:
    """What the engine decided: the new state and the events that announce it."""

    case: Case
    events: tuple[Event, ...]


def post_of(tenant: str, stage: Stage) -> str:
    """A post is a role in a department of a tenant: ``gs-city/approval-section/reviewer``."""
    return f"{tenant}/{stage.department}/{stage.role}"


def open_case(definition: Definition, accepted: dict[str, Any], now: datetime, calendar: Deadlines) -> Decision:
    """Open a case for an accepted application and a task for the first stage."""
    number = accepted["application_number"]
    case = Case(
        case_number=number,
        item_code=accepted["item_code"],
        item_name=accepted["item_name"],
        tenant=accepted["tenant"],
        definition_key=definition.key,
        definition_version=definition.version,
        applicant=dict(accepted["applicant"]),
        certificate_kind=accepted["certificate_kind"],
        promised_date=accepted["promised_date"],
        opened_at=now,
    )
    opened = new_event(
        CASE_OPENED,
        number,
        {"item_code": case.item_code, "tenant": case.tenant, "definition": definition.key,
         "definition_version": definition.version},
        now,
    )
    case, created = _open_task(case, definition.stages[0], now, calendar)
    return Decision(case, (opened, created))


def complete_task(
    definition: Definition,
    case: Case,
    *,
    task_id: str,
    post: str,
    actor: str,
    decision: str,
    opinion: str,
    now: datetime,
    calendar: Deadlines,
) -> Decision:
    """A post completes its task: move to the next stage, or close the case."""
    if decision not in DECISIONS:
        raise ValidationFailed(f"decision must be one of {DECISIONS}", {"decision": ["not allowed"]})
    if case.status != "open":
        raise Conflict(f"case {case.case_number} is closed ({case.status})", {"task_id": [task_id]})
    task = case.task(task_id)
    if task.status != "open":
        raise Conflict(f"task {task_id} is already completed", {"task_id": ["already completed"]})
    if task.post != post:
        raise Forbidden(f"task {task_id} belongs to post {task.post}, not {post}", {"post": ["not assigned"]})
    if decision == "reject" and not opinion.strip():
        raise ValidationFailed("a rejection needs a reason", {"opinion": ["required when rejecting"]})
    done = replace(task, status="completed", actor=actor, decision=decision, opinion=opinion, completed_at=now)
    case = replace(case, tasks=tuple(done if t.task_id == task_id else t for t in case.tasks))
    completed = new_event(
        TASK_COMPLETED,
        case.case_number,
        {"task_id": task_id, "stage": task.stage, "post": post, "actor": actor, "decision": decision,
         "opinion": opinion},
        now,
    )
    if decision == "reject":
        return _close(case, "rejected", CASE_REJECTED, opinion, now, (completed,))
    following = definition.after(task.stage)
    if following is None:
        return _close(case, "approved", CASE_APPROVED, opinion, now, (completed,))
    case, created = _open_task(case, following, now, calendar)
    return Decision(case, (completed, created))


def _open_task(case: Case, stage: Stage, now: datetime, calendar: Deadlines) -> tuple[Case, Event]:
    task = Task(
        task_id=f"{case.case_number}.{stage.key}.{len(case.tasks) + 1}",
        stage=stage.key,
        post=post_of(case.tenant, stage),
        opened_at=now,
        due_at=calendar.deadline(now, stage.limit_working_days),
    )
    event = new_event(
        TASK_CREATED,
        case.case_number,
        {"task_id": task.task_id, "stage": stage.key, "post": task.post, "due_at": task.due_at},
        now,
    )
    return replace(case, tasks=(*case.tasks, task)), event


def _close(case: Case, status: str, event_type: str, reason: str, now: datetime,
           before: tuple[Event, ...]) -> Decision:
    case = replace(case, status=status, closed_at=now)
    decided = new_event(
        event_type,
        case.case_number,
        {"item_code": case.item_code, "item_name": case.item_name, "tenant": case.tenant,
         "applicant": case.applicant, "certificate_kind": case.certificate_kind, "decided_at": now,
         "reason": reason},
        now,
    )
    return Decision(case, (*before, decided))


def to_state(case: Case) -> dict[str, Any]:
    """Versioned, JSON-ready case state."""
    raw = asdict(case)
    raw["promised_date"] = case.promised_date.isoformat()
    for key in ("opened_at", "closed_at"):
        raw[key] = raw[key].isoformat() if raw[key] else None
    for task in raw["tasks"]:
        for key in ("opened_at", "due_at", "completed_at"):
            task[key] = task[key].isoformat() if task[key] else None
    return {"state_version": STATE_VERSION, "case": raw}


def from_state(state: dict[str, Any]) -> Case:
    """Restore a case saved by ``to_state``."""
    if state.get("state_version") != STATE_VERSION:
        raise ValidationFailed(f"unknown case state version {state.get('state_version')!r}")
    raw = dict(state["case"])
    tasks = tuple(
        Task(**{**t, "opened_at": _instant(t["opened_at"]), "due_at": _instant(t["due_at"]),
                "completed_at": _instant(t["completed_at"])})
        for t in raw.pop("tasks")
    )
    return Case(**{**raw, "tasks": tasks, "promised_date": date.fromisoformat(raw["promised_date"]),
                   "opened_at": _instant(raw["opened_at"]), "closed_at": _instant(raw["closed_at"])})


def _instant(text: str | None) -> Any:
    return datetime.fromisoformat(text) if text else None
