"""Workflow's entrypoints: open cases from accepted applications, route tasks between posts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nameko.rpc import rpc
from nameko.timer import timer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sunlight import base, metrics
from sunlight.calendar import WorkingCalendar
from sunlight.contracts import APPLICATION_ACCEPTED, Event, load_or_fail
from sunlight.db import Database
from sunlight.errors import NotFound, SunlightError
from sunlight.messaging import event_handler
from workflow import domain
from workflow.definitions import latest, load_definitions
from workflow.models import CaseRow, TaskRow, metadata
from workflow.schemas import CompleteTaskSchema, TaskSchema
from workflow.settings import MIGRATIONS

DEFINITIONS = load_definitions()
CALENDAR = WorkingCalendar.default()
TENANTS_REPORTED: set[str] = set()  # per process: nameko builds a new service instance per worker


class WorkflowService(base.ServiceBase):
    """Routes every case through the posts that must act on it."""

    name = "workflow"
    db = Database(metadata, MIGRATIONS)

    @event_handler("intake", APPLICATION_ACCEPTED)  # type: ignore[untyped-decorator]
    def on_application_accepted(self, body: dict[str, Any]) -> None:
        """收办分离: the window accepted it; open the case on the newest process version."""
        event = Event.from_message(body)
        definition = latest(DEFINITIONS, event.payload["process"])
        with self.db.unit_of_work() as uow:
            if not uow.first_delivery(event.event_id, "workflow.on_application_accepted"):
                metrics.EVENTS_DUPLICATE.labels("workflow", "on_application_accepted").inc()
                return
            decision = domain.open_case(definition, dict(event.payload), datetime.now(UTC), CALENDAR)
            _save(uow.session, decision.case, new=True)
            for outgoing in decision.events:
                uow.emit(outgoing)
        metrics.CASES_OPENED.labels(decision.case.tenant, decision.case.item_code).inc()

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def complete_task(self, command: dict[str, Any]) -> dict[str, Any]:
        """A person holding the post completes a task with a decision and an opinion."""
        data = load_or_fail(CompleteTaskSchema(), command, "task completion")
        with self.db.unit_of_work() as uow:
            task = uow.session.get(TaskRow, data["task_id"])
            if task is None:
                raise NotFound(f"no task {data['task_id']!r}", {"task_id": ["unknown task"]})
            row = uow.session.execute(
                select(CaseRow).where(CaseRow.case_number == task.case_number).with_for_update()
            ).scalar_one()
            case = domain.from_state(row.state)
            definition = DEFINITIONS[(case.definition_key, case.definition_version)]
            decision = domain.complete_task(
                definition, case, now=datetime.now(UTC), calendar=CALENDAR, **data
            )
            _save(uow.session, decision.case, new=False)
            for outgoing in decision.events:
                uow.emit(outgoing)
        metrics.TASKS_COMPLETED.labels(task.stage, data["decision"]).inc()
        if decision.case.status != "open":
            metrics.CASES_CLOSED.labels(case.tenant, case.item_code, decision.case.status).inc()
        return {"case_number": decision.case.case_number, "status": decision.case.status,
                "open_tasks": [t.task_id for t in decision.case.open_tasks]}

    @timer(interval=15)  # type: ignore[untyped-decorator]
    def count_open_cases(self) -> None:
        """Cases open now, per tenant, from the database: right after restarts and across replicas."""
        with self.db.read() as session:
            counts = dict(session.execute(
                select(CaseRow.tenant, func.count()).where(CaseRow.status == "open").group_by(CaseRow.tenant)
            ).tuples().all())
        for tenant in set(counts) | TENANTS_REPORTED:  # a tenant whose last case closed drops to 0
            metrics.CASES_OPEN.labels(tenant).set(counts.get(tenant, 0))
        TENANTS_REPORTED.update(counts)

    @rpc  # type: ignore[untyped-decorator]
    def list_tasks(self, post: str) -> list[dict[str, Any]]:
        """A post's inbox: open tasks, the nearest deadline first."""
        with self.db.read() as session:
            rows = session.scalars(
                select(TaskRow).where(TaskRow.post == post, TaskRow.status == "open").order_by(TaskRow.due_at)
            ).all()
            return [dict(TaskSchema().dump(row)) for row in rows]

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def get_case(self, case_number: str) -> dict[str, Any]:
        """A case's full state: status, tasks with opinions and timing."""
        with self.db.read() as session:
            row = session.get(CaseRow, case_number)
            if row is None:
                raise NotFound(f"no case {case_number!r}", {"case_number": ["unknown case"]})
            return dict(row.state["case"])


def _save(session: Session, case: domain.Case, *, new: bool) -> None:
    state = domain.to_state(case)
    if new:
        session.add(CaseRow(
            case_number=case.case_number, tenant=case.tenant, item_code=case.item_code,
            status=case.status, definition_key=case.definition_key,
            definition_version=case.definition_version, state=state, opened_at=case.opened_at,
            closed_at=case.closed_at,
        ))
    else:
        row = session.get(CaseRow, case.case_number)
        assert row is not None
        row.status, row.state, row.closed_at = case.status, state, case.closed_at
    for task in case.tasks:
        existing = session.get(TaskRow, task.task_id)
        if existing is None:
            session.add(TaskRow(
                task_id=task.task_id, case_number=case.case_number, stage=task.stage, post=task.post,
                status=task.status, opened_at=task.opened_at, due_at=task.due_at,
                completed_at=task.completed_at,
            ))
        else:
            existing.status, existing.completed_at = task.status, task.completed_at
