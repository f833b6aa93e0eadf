"""Cases and their inbox rows in workflow's database: the statements of the hot path, built once.

A task completion reads one case and writes it back with its changed inbox rows. These are SQL
statements made at import and run with parameters, not ORM objects: building a statement and
tracking objects cost more CPU than the database did.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from sunlight.errors import NotFound
from workflow import domain, saved
from workflow.models import metadata

CASES, TASKS, ABSENCES = (metadata.tables[name] for name in ("cases", "tasks", "absences"))
_TASK_COLUMNS = ("status", "completed_at", "post", "due_at", "urged_until")

_STATE = select(CASES.c.state).where(CASES.c.case_number == bindparam("number"))
_STATE_LOCKED = _STATE.with_for_update()
_STATE_OF_TASK_LOCKED = select(CASES.c.state).join_from(
    CASES, TASKS, TASKS.c.case_number == CASES.c.case_number).where(
    TASKS.c.task_id == bindparam("task_id")).with_for_update(of=CASES)
_ABSENT = select(ABSENCES.c.post)
_INSERT_CASE = insert(CASES)
_UPDATE_CASE = update(CASES).where(CASES.c.case_number == bindparam("number")).values(
    status=bindparam("status"), state=bindparam("state"), closed_at=bindparam("closed_at"))
_INBOX_ROWS = select(TASKS.c.task_id, *(TASKS.c[name] for name in _TASK_COLUMNS)).where(
    TASKS.c.case_number == bindparam("number"))
_INSERT_TASKS = insert(TASKS)
_UPDATE_TASK = update(TASKS).where(TASKS.c.task_id == bindparam("id")).values(
    {name: bindparam(name) for name in _TASK_COLUMNS})


def state_of_task(session: Session, task_id: str) -> dict[str, Any]:
    """The saved state of a task's case, locked for this transaction (one round trip); NotFound for an unknown task."""
    state = session.execute(_STATE_OF_TASK_LOCKED, {"task_id": task_id}).scalar()
    if state is None:
        raise NotFound(f"no task {task_id!r}", {"task_id": ["unknown task"]})
    return dict(state)


def state_of(session: Session, case_number: str, *, lock: bool = False) -> dict[str, Any]:
    """A case's saved state (locked for this transaction with ``lock``); NotFound for an unknown case."""
    state = session.execute(_STATE_LOCKED if lock else _STATE, {"number": case_number}).scalar()
    if state is None:
        raise NotFound(f"no case {case_number!r}", {"case_number": ["unknown case"]})
    return dict(state)


def absent_posts(session: Session) -> frozenset[str]:
    """A posts whose holder is away (AB岗): their tasks go to the B post."""
    return frozenset(session.execute(_ABSENT).scalars())


def save(session: Session, case: domain.Case, *, new: bool) -> None:
    """Write the case's state and keep its inbox rows in step (only the rows that changed are updated)."""
    state = saved.to_state(case)
    if new:
        session.execute(_INSERT_CASE, {
            "case_number": case.case_number, "tenant": case.tenant, "item_code": case.item_code,
            "status": case.status, "definition_key": case.definition_key,
            "definition_version": case.definition_version, "state": state, "opened_at": case.opened_at,
            "closed_at": case.closed_at})
        known: dict[str, Any] = {}
    else:
        session.execute(_UPDATE_CASE, {"number": case.case_number, "status": case.status, "state": state,
                                       "closed_at": case.closed_at})
        # one SELECT for the case's inbox rows, not one per task (a shop-sign case has five)
        known = {row.task_id: row for row in session.execute(_INBOX_ROWS, {"number": case.case_number})}
    added, changed = [], []
    for task in case.tasks:
        existing = known.get(task.task_id)
        urged_until = datetime.fromisoformat(task.urged_until) if task.urged_until else None
        if existing is None:
            added.append({"task_id": task.task_id, "case_number": case.case_number, "stage": task.stage,
                          "post": task.post, "status": task.status, "opened_at": task.opened_at,
                          "due_at": task.due_at, "completed_at": task.completed_at, "urged_until": urged_until})
        elif (existing.status, existing.completed_at, existing.post, existing.due_at, existing.urged_until) != (
                task.status, task.completed_at, task.post, task.due_at, urged_until):
            changed.append({"id": task.task_id, "status": task.status, "completed_at": task.completed_at,
                            "post": task.post, "due_at": task.due_at, "urged_until": urged_until})
    if added:
        session.execute(_INSERT_TASKS, added)
    if changed:
        session.execute(_UPDATE_TASK, changed)
