"""Cases and their inbox rows in workflow's database: the statements of the hot path, built once.

A task completion reads one case and writes it back with its changed inbox rows. These are SQL
statements made at import and run with parameters on the unit of work's connection, not ORM objects:
building a statement, tracking objects and the session's per-statement bookkeeping cost more CPU than
the database did.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, insert, select, tuple_, update

from sunlight.errors import NotFound, ValidationFailed
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
# the meeting time box: served by the partial index ix_tasks_open_stage_due (open tasks by stage and deadline)
_MEETINGS_PAST_DUE = select(TASKS.c.case_number).distinct().where(
    TASKS.c.status == "open", TASKS.c.stage.in_(bindparam("stages", expanding=True)),
    TASKS.c.due_at <= bindparam("now")).order_by(TASKS.c.case_number)
# the per-tenant open-case gauge: counted on the partial index ix_cases_open_tenant, never on the rows
OPEN_PER_TENANT = (select(CASES.c.tenant, func.count()).where(CASES.c.status == "open")
                   .group_by(CASES.c.tenant))
_INSERT_CASE = insert(CASES)
_UPDATE_CASE = update(CASES).where(CASES.c.case_number == bindparam("number")).values(
    status=bindparam("status"), state=bindparam("state"), closed_at=bindparam("closed_at"))
_INSERT_TASKS = insert(TASKS)
_UPDATE_TASK = update(TASKS).where(TASKS.c.task_id == bindparam("id")).values(
    {name: bindparam(name) for name in _TASK_COLUMNS})


def state_of_task(connection: Connection, task_id: str) -> dict[str, Any]:
    """The saved state of a task's case, locked for this transaction (one round trip); NotFound for an unknown task."""
    state = connection.execute(_STATE_OF_TASK_LOCKED, {"task_id": task_id}).scalar()
    if state is None:
        raise NotFound(f"no task {task_id!r}", {"task_id": ["unknown task"]})
    return dict(state)


def state_of(connection: Connection, case_number: str, *, lock: bool = False) -> dict[str, Any]:
    """A case's saved state (locked for this transaction with ``lock``); NotFound for an unknown case."""
    state = connection.execute(_STATE_LOCKED if lock else _STATE, {"number": case_number}).scalar()
    if state is None:
        raise NotFound(f"no case {case_number!r}", {"case_number": ["unknown case"]})
    return dict(state)


def inbox(connection: Connection, post: str, limit: int | None = None, after: str | None = None) -> list[Row[Any]]:
    """A post's open tasks, nearest deadline first (ties by task id); with ``limit``, one page of them.

    ``after`` is the last task of the previous page: the page goes on from its place in that order, so a
    task completed meanwhile does not shift the next page. Read on ix_tasks_open_inbox.
    """
    query = select(TASKS).where(TASKS.c.post == post, TASKS.c.status == "open")
    if after is not None:
        cursor = connection.execute(select(TASKS.c.due_at, TASKS.c.task_id).where(TASKS.c.task_id == after)).first()
        if cursor is None:
            raise ValidationFailed(f"no task {after!r} to page after", {"after": ["unknown task"]})
        query = query.where(tuple_(TASKS.c.due_at, TASKS.c.task_id) > tuple_(*cursor))
    query = query.order_by(TASKS.c.due_at, TASKS.c.task_id)
    return list(connection.execute(query if limit is None else query.limit(limit)).all())


def meetings_past_due(connection: Connection, stages: list[str], now: datetime) -> list[str]:
    """Cases with an open task at one of these (meeting) stages past its due time, by number."""
    if not stages:
        return []
    return list(connection.execute(_MEETINGS_PAST_DUE, {"stages": stages, "now": now}).scalars())


def open_cases_per_tenant(connection: Connection) -> dict[str, int]:
    """How many cases each tenant has open; a tenant with none is absent."""
    return {tenant: int(count) for tenant, count in connection.execute(OPEN_PER_TENANT)}


class AbsentPosts:
    """A posts whose holder is away (AB岗), read in this transaction when a task opens and not before.

    Most commands open no task (three of a shop sign's four co-reviews only close theirs): they never ask.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._posts: frozenset[str] | None = None

    def __contains__(self, post: object) -> bool:
        if self._posts is None:
            self._posts = frozenset(self._connection.execute(_ABSENT).scalars())
        return post in self._posts


def save(connection: Connection, case: domain.Case, *, before: domain.Case | None) -> None:
    """Write the case's state and keep its inbox rows in step with it.

    ``before``: the case as read (and locked) in this transaction, None for a new case. The inbox rows
    were written with that state, so only the tasks that differ from it are inserted or updated.
    """
    state = saved.to_state(case)
    if before is None:
        connection.execute(_INSERT_CASE, {
            "case_number": case.case_number, "tenant": case.tenant, "item_code": case.item_code,
            "status": case.status, "definition_key": case.definition_key,
            "definition_version": case.definition_version, "state": state, "opened_at": case.opened_at,
            "closed_at": case.closed_at})
        known: dict[str, domain.Task] = {}
    else:
        connection.execute(_UPDATE_CASE, {"number": case.case_number, "status": case.status, "state": state,
                                          "closed_at": case.closed_at})
        known = {task.task_id: task for task in before.tasks}
    added, changed = [], []
    for task in case.tasks:
        existing = known.get(task.task_id)
        if existing is None:
            added.append({"task_id": task.task_id, "case_number": case.case_number, "stage": task.stage,
                          "post": task.post, "status": task.status, "opened_at": task.opened_at,
                          "due_at": task.due_at, "completed_at": task.completed_at,
                          "urged_until": _instant(task.urged_until)})
        elif existing is not task and _inbox_row(existing) != _inbox_row(task):
            changed.append({"id": task.task_id, "status": task.status, "completed_at": task.completed_at,
                            "post": task.post, "due_at": task.due_at, "urged_until": _instant(task.urged_until)})
    if added:
        connection.execute(_INSERT_TASKS, added)
    if changed:
        connection.execute(_UPDATE_TASK, changed)


def _inbox_row(task: domain.Task) -> tuple[Any, ...]:
    """What a task's inbox row holds besides its identity."""
    return task.status, task.completed_at, task.post, task.due_at, task.urged_until


def _instant(text: str) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
