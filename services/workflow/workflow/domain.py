"""The routing engine: pure functions from (definition, case state, command) to (state, events).

No nameko, no database, no clock: ``now`` and the calendar come in as arguments. Case state is a
plain dataclass; ``workflow.saved`` saves it as versioned JSON, ``workflow.actions`` holds what people
do to a case besides deciding it.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any, Protocol, TypeVar

from sunlight.contracts import (
    CASE_APPROVED,
    CASE_OPENED,
    CASE_REJECTED,
    TASK_COMPLETED,
    TASK_CREATED,
    TASK_DELEGATED,
    Event,
    new_event,
)
from sunlight.errors import Conflict, Forbidden, NotFound, ValidationFailed
from workflow.process import END, PARALLEL, Branch, Definition, Limit, Stage

__all__ = ["Branch", "Case", "Decision", "Definition", "Limit", "Stage", "Task"]

DECISIONS = ("approve", "reject")
CLOSED = ("approved", "rejected", "withdrawn")
STOPPED = ("returned", "suspended")


Record = TypeVar("Record", "Task", "Case")
_FIELD_NAMES: dict[type, frozenset[str]] = {}


def evolve(record: Record, **changes: Any) -> Record:
    """A copy with some fields changed: ``dataclasses.replace`` without re-running ``__init__`` on every field.

    The engine copies a case and a task on every step; ``replace`` was a third of a transition's time.
    """
    kind = type(record)
    names = _FIELD_NAMES.get(kind) or _FIELD_NAMES.setdefault(kind, frozenset(f.name for f in fields(kind)))
    if not changes.keys() <= names:
        raise TypeError(f"{kind.__name__} has no field {sorted(changes.keys() - names)}")
    copy = object.__new__(kind)
    copy.__dict__.update(record.__dict__, **changes)
    return copy


class Deadlines(Protocol):
    def deadline(self, start: datetime, working_days: int) -> datetime: ...

    def add_working_hours(self, start: datetime, hours: timedelta) -> datetime: ...

    def working_time_between(self, start: datetime, end: datetime) -> timedelta: ...


@dataclass(frozen=True)
class Task:
    task_id: str
    stage: str
    post: str
    opened_at: datetime
    due_at: datetime
    status: str = "open"  # open | completed | cancelled | expired (a meeting's time box ran out)
    actor: str = ""
    decision: str = ""
    opinion: str = ""
    completed_at: datetime | None = None
    branch: str = ""
    claimed_by: str = ""
    delegated_from: str = ""
    urged_by: str = ""  # 督办: the supervising post that urged this task, and by when it must be done
    urged_until: str = ""


@dataclass(frozen=True)
class AddedBranch:
    """A co-reviewing department added to a parallel stage mid-case."""

    stage: str
    key: str
    name: str
    department: str
    role: str
    added_by: str


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
    status: str = "open"  # open | returned | suspended | approved | rejected | withdrawn
    tasks: tuple[Task, ...] = field(default_factory=tuple)
    closed_at: datetime | None = None
    form: dict[str, Any] = field(default_factory=dict)
    position: str = ""  # the stage the case is at ("" once closed)
    visit: int = 0  # index of the first task of the current visit to ``position``
    paused_at: datetime | None = None
    stopped_seconds: float = 0.0  # office time the clock stood still (补正, excluded steps)
    added: tuple[AddedBranch, ...] = ()

    def task(self, task_id: str) -> Task:
        for task in self.tasks:
            if task.task_id == task_id:
                return task
        raise NotFound(f"case {self.case_number} has no task {task_id!r}", {"task_id": ["unknown task"]})

    @property
    def open_tasks(self) -> tuple[Task, ...]:
        return tuple(task for task in self.tasks if task.status == "open")

    @property
    def current_tasks(self) -> tuple[Task, ...]:
        """Tasks of this visit to the current stage (a loop back starts a fresh visit)."""
        return tuple(t for t in self.tasks[self.visit:] if t.stage == self.position)


@dataclass(frozen=True)
class Decision:
    """What the engine decided: the new state and the events that announce it."""

    case: Case
    events: tuple[Event, ...]


def post_of(tenant: str, holder: Stage | Branch | AddedBranch) -> str:
    """A post is a role in a department of a tenant: ``gs-city/approval-section/reviewer``."""
    return f"{tenant}/{holder.department}/{holder.role}"


# --- commands ---------------------------------------------------------------------------------


def open_case(definition: Definition, accepted: Mapping[str, Any], now: datetime, calendar: Deadlines,
              absent: Container[str] = frozenset()) -> Decision:
    """Open a case for an accepted application at the first stage of its process."""
    number = accepted["application_number"]
    case = Case(
        case_number=number, item_code=accepted["item_code"], item_name=accepted["item_name"],
        tenant=accepted["tenant"], definition_key=definition.key, definition_version=definition.version,
        applicant=dict(accepted["applicant"]), certificate_kind=accepted["certificate_kind"],
        promised_date=accepted["promised_date"], opened_at=now, form=dict(accepted.get("form") or {}),
    )
    opened = new_event(
        CASE_OPENED, number,
        {"item_code": case.item_code, "tenant": case.tenant, "definition": definition.key,
         "definition_version": definition.version},
        now,
    )
    return enter_stage(definition, case, definition.stages[0].key, now, calendar, absent, (opened,))


def complete_task(definition: Definition, case: Case, *, task_id: str, post: str, actor: str,
                  decision: str, opinion: str, now: datetime, calendar: Deadlines,
                  absent: Container[str] = frozenset()) -> Decision:
    """A post completes its task with a decision; the stage joins, moves on or closes the case."""
    task = actionable_task(case, task_id, post, actor)
    if decision not in DECISIONS:
        raise ValidationFailed(f"stage {task.stage} of task {task_id} allows only {', '.join(DECISIONS)}",
                               {"decision": ["not allowed"]})
    if decision == "reject" and not opinion.strip():
        raise ValidationFailed(f"rejecting task {task_id} needs a reason", {"opinion": ["required when rejecting"]})
    done = evolve(task, status="completed", actor=actor, decision=decision, opinion=opinion, completed_at=now)
    case = put_task(case, done)
    worked = calendar.working_time_between(task.opened_at, now).total_seconds()
    # an actionable case runs (not paused, not closed): a task opened with the case has run as long as it
    case_worked = (worked - case.stopped_seconds if task.opened_at == case.opened_at
                   else case_working_seconds(case, now, calendar))
    completed = new_event(TASK_COMPLETED, case.case_number, {
        "task_id": task_id, "stage": task.stage, "post": task.post, "actor": actor, "decision": decision,
        "opinion": opinion, "branch": task.branch, "due_at": task.due_at, "working_seconds": worked,
        "overdue": now > task.due_at, "case_working_seconds": case_worked,
    }, now)
    return _settle(definition, case, now, calendar, absent, (completed,))


def case_working_seconds(case: Case, now: datetime, calendar: Deadlines) -> float:
    """Office time the case has run, without the time its clock stood still."""
    end = case.paused_at or case.closed_at or now
    return calendar.working_time_between(case.opened_at, end).total_seconds() - case.stopped_seconds


# --- routing ----------------------------------------------------------------------------------


def enter_stage(definition: Definition, case: Case, key: str, now: datetime, calendar: Deadlines,
           absent: Container[str], before: tuple[Event, ...]) -> Decision:
    """Arrive at a stage: pass through choices, open its tasks, or close the case approved at the end."""
    for _ in range(len(definition.stages) + 1):  # a choice chain longer than this would be a loop
        if key == END:  # the last approver's opinion is what the approval says
            said = [t.opinion for t in case.tasks if t.status == "completed"]
            return close_case(case, "approved", CASE_APPROVED, said[-1] if said else "", now, before)
        stage = definition.stage(key)
        if stage.kind != "choice":
            break
        key = _choose(stage, case)
    else:
        raise ValidationFailed(f"choices of {definition.key} loop at {key}", {"stage": [key]})
    case = evolve(case, position=stage.key, visit=len(case.tasks))
    if stage.kind in PARALLEL:
        events = before
        shared_due = due(stage.limit, now, calendar)  # branches without a limit of their own share the stage's
        for branch in stage.branches:
            decision = open_task(case, stage, branch, now, calendar, absent, events,
                                 due_at=None if branch.limit else shared_due)
            case, events = decision.case, decision.events
        return Decision(case, events)
    if stage.kind == "signing":
        return open_task(case, stage, stage.branches[0], now, calendar, absent, before)
    return open_task(case, stage, None, now, calendar, absent, before)


def _choose(stage: Stage, case: Case) -> str:
    for rule in stage.rules:
        if rule.field not in case.form:
            raise ValidationFailed(f"stage {stage.key} routes on form field {rule.field!r}, which is missing",
                                   {f"form.{rule.field}": ["required by the process"]})
        if _holds(case.form[rule.field], rule.op, rule.value):
            return rule.goto
    return stage.otherwise


def _holds(actual: Any, op: str, expected: float | str) -> bool:
    left: Any = actual
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        try:
            left = float(actual)
        except (TypeError, ValueError):
            return False
    comparisons = {"gt": lambda a, b: a > b, "ge": lambda a, b: a >= b, "lt": lambda a, b: a < b,
                   "le": lambda a, b: a <= b, "eq": lambda a, b: a == b, "ne": lambda a, b: a != b}
    return bool(comparisons[op](left, expected))


def _settle(definition: Definition, case: Case, now: datetime, calendar: Deadlines,
            absent: Container[str], before: tuple[Event, ...]) -> Decision:
    """After a task completes: decide what the stage does next."""
    stage = definition.stage(case.position)
    answered = [t for t in case.current_tasks if t.status == "completed"]
    latest = answered[-1]
    if stage.kind == "task":
        if latest.decision == "reject":
            return close_case(case, "rejected", CASE_REJECTED, latest.opinion, now, before)
        return enter_stage(definition, case, stage.next, now, calendar, absent, before)
    if stage.kind == "signing":
        if latest.decision == "reject":
            return close_case(case, "rejected", CASE_REJECTED, latest.opinion, now, before)
        if len(answered) < len(stage.branches):
            return open_task(case, stage, stage.branches[len(answered)], now, calendar, absent, before)
        return enter_stage(definition, case, stage.next, now, calendar, absent, before)
    return _join(definition, stage, case, now, calendar, absent, before)


def _join(definition: Definition, stage: Stage, case: Case, now: datetime, calendar: Deadlines,
          absent: Container[str], before: tuple[Event, ...]) -> Decision:
    branches = branches_of(stage, case)
    answers = {t.branch: t.decision for t in case.current_tasks if t.status == "completed"}
    approvals = sum(1 for d in answers.values() if d == "approve")
    rejections = len(answers) - approvals
    needed = stage.needed(len(branches))
    if stage.kind == "meeting":
        if len(answers) < len(branches):
            return Decision(case, before)
        target = stage.next if rejections == 0 else stage.on_disagreement
        return enter_stage(definition, case, target, now, calendar, absent, before)
    must = all(b.key in answers for b in branches if isinstance(b, Branch) and b.must_answer)
    if approvals >= needed and must:
        return enter_stage(definition, cancel_open_tasks(case), stage.next, now, calendar, absent, before)
    if len(branches) - rejections < needed:  # the rule can no longer be met
        case = cancel_open_tasks(case)
        if stage.on_disagreement:
            return enter_stage(definition, case, stage.on_disagreement, now, calendar, absent, before)
        reasons = "；".join(t.opinion for t in case.current_tasks if t.decision == "reject")
        return close_case(case, "rejected", CASE_REJECTED, reasons, now, before)
    return Decision(case, before)


def branches_of(stage: Stage, case: Case) -> list[Branch | AddedBranch]:
    return [*stage.branches, *(a for a in case.added if a.stage == stage.key)]


def open_task(case: Case, stage: Stage, branch: Branch | None, now: datetime, calendar: Deadlines,
               absent: Container[str], before: tuple[Event, ...], added_by: str = "",
               due_at: datetime | None = None) -> Decision:
    """Open one task at a stage (for a branch of it, if parallel); ``due_at`` when already worked out."""
    holder: Stage | Branch = branch or stage
    limit = (branch.limit if branch and branch.limit else None) or stage.limit
    suffix = f".{branch.key}" if branch else ""
    task = Task(
        task_id=f"{case.case_number}.{stage.key}{suffix}.{len(case.tasks) + 1}",
        stage=stage.key, post=post_of(case.tenant, holder), opened_at=now, due_at=due_at or due(limit, now, calendar),
        branch=branch.key if branch else "",
    )
    created = new_event(TASK_CREATED, case.case_number, {
        "task_id": task.task_id, "stage": stage.key, "post": task.post, "due_at": task.due_at,
        "branch": task.branch, "added_by": added_by}, now)
    case = evolve(case, tasks=(*case.tasks, task))
    if task.post in absent:  # the A holder is away: the B backup gets it straight away
        moved = move_task(case, task, f"{task.post}-b", "system", "A post marked absent", TASK_DELEGATED, now,
                      delegated=True)
        return Decision(moved.case, (*before, created, *moved.events))
    return Decision(case, (*before, created))


def due(limit: Limit, start: datetime, calendar: Deadlines) -> datetime:
    """When a task opened at ``start`` with this limit falls due."""
    if limit.working_hours is not None:
        return calendar.add_working_hours(start, timedelta(hours=limit.working_hours))
    return calendar.deadline(start, limit.working_days or 0)


def move_task(case: Case, task: Task, to_post: str, actor: str, reason: str, event_type: str, now: datetime,
          *, delegated: bool) -> Decision:
    moved = evolve(task, post=to_post, claimed_by="",
                    delegated_from=(task.delegated_from or task.post) if delegated else task.delegated_from)
    return Decision(put_task(case, moved), (new_event(event_type, case.case_number, {
        "task_id": task.task_id, "stage": task.stage, "from_post": task.post, "to_post": to_post,
        "actor": actor, "reason": reason}, now),))


def live_task(case: Case, task_id: str) -> Task:
    if case.status in CLOSED:
        raise Conflict(f"case {case.case_number} is closed ({case.status})", {"task_id": [task_id]})
    task = case.task(task_id)
    if task.status != "open":
        raise Conflict(f"task {task_id} is already {task.status}", {"task_id": [f"already {task.status}"]})
    return task


def actionable_task(case: Case, task_id: str, post: str, actor: str) -> Task:
    """The open task, checked: case open and running, the caller's post, not claimed by someone else."""
    task = live_task(case, task_id)
    if case.status in STOPPED:
        raise Conflict(f"case {case.case_number} is {case.status}: its clock is stopped",
                       {"task_id": [f"case {case.status}"]})
    if task.post != post:
        raise Forbidden(f"task {task_id} belongs to post {task.post}, not {post}", {"post": ["not assigned"]})
    if task.claimed_by and task.claimed_by != actor:
        raise Forbidden(f"task {task_id} is claimed by {task.claimed_by}", {"actor": ["claimed by another"]})
    return task


def put_task(case: Case, task: Task) -> Case:
    return evolve(case, tasks=tuple(task if t.task_id == task.task_id else t for t in case.tasks))


def cancel_open_tasks(case: Case) -> Case:
    return evolve(case, tasks=tuple(evolve(t, status="cancelled") if t.status == "open" else t
                                     for t in case.tasks))


def close_case(case: Case, status: str, event_type: str, reason: str, now: datetime,
           before: tuple[Event, ...]) -> Decision:
    case = evolve(cancel_open_tasks(case), status=status, closed_at=now, position="")
    decided = new_event(event_type, case.case_number, {
        "item_code": case.item_code, "item_name": case.item_name, "tenant": case.tenant,
        "applicant": case.applicant, "certificate_kind": case.certificate_kind, "decided_at": now,
        "reason": reason}, now)
    return Decision(case, (*before, decided))
