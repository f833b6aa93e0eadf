"""Workflow's entrypoints: open cases from accepted applications, route tasks between posts."""

from __future__ import annotations

import logging
from collections.abc import Callable, Container
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema
from nameko.timer import timer
from sqlalchemy import Connection, select

from sunlight import base, metrics
from sunlight.calendar import WorkingCalendar
from sunlight.contracts import (
    APPLICATION_ACCEPTED,
    APPLICATION_CORRECTED,
    CASE_URGED,
    TASK_COMPLETED,
    Event,
    load_or_fail,
)
from sunlight.db import Database, UnitOfWork
from sunlight.errors import SunlightError
from sunlight.messaging import event_handler
from sunlight.rpc import rpc
from workflow import actions, casestore, domain, saved
from workflow.definitions import latest, load_definitions
from workflow.models import AbsenceRow, CaseRow, TaskRow, metadata
from workflow.process import Definition
from workflow.schemas import (
    AbsenceSchema,
    CaseActionSchema,
    CompleteTaskSchema,
    CoReviewerSchema,
    DelegateSchema,
    InboxPageSchema,
    ReturnSchema,
    SuspendSchema,
    TaskActionSchema,
    TaskSchema,
    TransferSchema,
)
from workflow.settings import MIGRATIONS

LOG = logging.getLogger(__name__)
DEFINITIONS = load_definitions()
CALENDAR = WorkingCalendar.default()
MEETING_STAGES = sorted({st.key for d in DEFINITIONS.values() for st in d.stages if st.kind == "meeting"})
#: one instance of each command schema, made once: making one copies all its fields, as costly as loading
SCHEMAS: dict[type[Schema], Schema] = {kind: kind() for kind in (
    AbsenceSchema, CaseActionSchema, CompleteTaskSchema, CoReviewerSchema, DelegateSchema, InboxPageSchema,
    ReturnSchema, SuspendSchema, TaskActionSchema, TaskSchema, TransferSchema)}
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
            connection = uow.session.connection()
            decision = domain.open_case(definition, dict(event.payload), datetime.now(UTC), CALENDAR,
                                        casestore.AbsentPosts(connection))
            casestore.save(connection, decision.case, before=None)
            for outgoing in decision.events:
                uow.emit(outgoing)
        metrics.CASES_OPENED.labels(decision.case.tenant, decision.case.item_code).inc()

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def complete_task(self, command: dict[str, Any]) -> dict[str, Any]:
        """A person holding the post completes a task with a decision and an opinion."""
        data = load_or_fail(SCHEMAS[CompleteTaskSchema], command, "task completion")
        decision = self._on_task(data["task_id"], lambda d, c, now, absent: domain.complete_task(
            d, c, now=now, calendar=CALENDAR, absent=absent, **data))
        metrics.TASKS_COMPLETED.labels(decision.case.task(data["task_id"]).stage, data["decision"]).inc()
        for event in decision.events:  # the on-time rate the bureau is assessed on (per stage, seed 000)
            if event.event_type == TASK_COMPLETED:
                on_time = "false" if event.payload.get("overdue") else "true"
                metrics.TASKS_CLOSED_ON_TIME.labels(decision.case.tenant, on_time).inc()
        if decision.case.status != "open":
            metrics.CASES_CLOSED.labels(decision.case.tenant, decision.case.item_code, decision.case.status).inc()
        return _summary(decision.case)

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def claim_task(self, command: dict[str, Any]) -> dict[str, Any]:
        """A person holding the post takes the task for themselves."""
        data = load_or_fail(SCHEMAS[TaskActionSchema], command, "claim")
        return _summary(self._on_task(data["task_id"], lambda d, c, now, _: actions.claim(c, now=now, **data)).case)

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def transfer_task(self, command: dict[str, Any]) -> dict[str, Any]:
        """Hand a task to another post, with a reason."""
        data = load_or_fail(SCHEMAS[TransferSchema], command, "transfer")
        return _summary(self._on_task(data["task_id"], lambda d, c, now, _: actions.transfer(c, now=now, **data)).case)

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def delegate_task(self, command: dict[str, Any]) -> dict[str, Any]:
        """Give a task to its post's B backup (AB岗)."""
        data = load_or_fail(SCHEMAS[DelegateSchema], command, "delegation")
        return _summary(self._on_task(data["task_id"],
                                      lambda d, c, now, _: actions.delegate(d, c, now=now, **data)).case)

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def return_for_correction(self, command: dict[str, Any]) -> dict[str, Any]:
        """补正: back to the applicant, clock stopped, until intake reports the correction."""
        data = load_or_fail(SCHEMAS[ReturnSchema], command, "return for correction")
        return _summary(self._on_task(data["task_id"],
                                      lambda d, c, now, _: actions.return_for_correction(c, now=now, **data)).case)

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def suspend_case(self, command: dict[str, Any]) -> dict[str, Any]:
        """Stop the clock for a hearing, testing, expert review or public notice."""
        data = load_or_fail(SCHEMAS[SuspendSchema], command, "suspension")
        return _summary(self._on_task(data["task_id"], lambda d, c, now, _: actions.suspend(c, now=now, **data)).case)

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def resume_case(self, command: dict[str, Any]) -> dict[str, Any]:
        """The excluded step is over: restart the clock where the case left off."""
        data = load_or_fail(SCHEMAS[CaseActionSchema], command, "resumption")
        return _summary(self._on_case(data["case_number"], lambda d, c, now, _: actions.resume(
            c, actor=data["actor"], now=now, calendar=CALENDAR, after="suspended")).case)

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def withdraw_case(self, command: dict[str, Any]) -> dict[str, Any]:
        """The applicant withdraws the application."""
        data = load_or_fail(SCHEMAS[CaseActionSchema], command, "withdrawal")
        return _summary(self._on_case(data["case_number"], lambda d, c, now, _: actions.withdraw(
            c, actor=data["actor"], reason=data["reason"], now=now)).case)

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def add_co_reviewer(self, command: dict[str, Any]) -> dict[str, Any]:
        """Bring one more department into the parallel review the case is at."""
        data = load_or_fail(SCHEMAS[CoReviewerSchema], command, "co-reviewer")
        number = data.pop("case_number")
        return _summary(self._on_case(number, lambda d, c, now, absent: actions.add_co_reviewer(
            d, c, now=now, calendar=CALENDAR, absent=absent, **data)).case)

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def mark_absent(self, command: dict[str, Any]) -> dict[str, Any]:
        """An A post's holder is away (or back): while away, its open and new tasks go to the B post."""
        data = load_or_fail(SCHEMAS[AbsenceSchema], command, "absence")
        now = datetime.now(UTC)
        with self.db.unit_of_work() as uow:
            row = uow.session.get(AbsenceRow, data["post"])
            if not data["absent"]:
                if row is not None:
                    uow.session.delete(row)
                return {"post": data["post"], "absent": False, "delegated": []}
            if row is None:
                uow.session.add(AbsenceRow(post=data["post"], actor=data["actor"], since=now))
            open_tasks = uow.session.scalars(select(TaskRow).where(
                TaskRow.post == data["post"], TaskRow.status == "open").order_by(TaskRow.case_number)).all()
            delegated = []
            connection = uow.session.connection()
            for task in open_tasks:
                case, definition = _locked(connection, task.case_number)
                decision = actions.delegate(definition, case, task_id=task.task_id, actor=data["actor"],
                                           reason="A post marked absent", now=now)
                casestore.save(connection, decision.case, before=case)
                for outgoing in decision.events:
                    uow.emit(outgoing)
                delegated.append(task.task_id)
        return {"post": data["post"], "absent": True, "delegated": delegated}

    @event_handler("intake", APPLICATION_CORRECTED)  # type: ignore[untyped-decorator]
    def on_application_corrected(self, body: dict[str, Any]) -> None:
        """The applicant re-submitted what was missing: the returned case resumes where it left."""
        event = Event.from_message(body)
        number = event.payload["application_number"]
        with self.db.unit_of_work() as uow:
            if not uow.first_delivery(event.event_id, "workflow.on_application_corrected"):
                metrics.EVENTS_DUPLICATE.labels("workflow", "on_application_corrected").inc()
                return
            row = uow.session.get(CaseRow, number)
            if row is None or row.status != "returned":
                LOG.warning("correction of %s ignored: case is %s", number, row.status if row else "unknown")
                return
            connection = uow.session.connection()
            case, _ = _locked(connection, number)
            decision = actions.resume(case, actor="applicant", now=datetime.now(UTC), calendar=CALENDAR,
                                     after="returned")
            casestore.save(connection, decision.case, before=case)
            for outgoing in decision.events:
                uow.emit(outgoing)

    def _on_task(self, task_id: str, change: Change) -> domain.Decision:
        """The task's case, found and locked by the statement that reads it, changed in one transaction."""
        with self.db.unit_of_work() as uow:
            # returned from inside the block: committed, and its events published, on leaving it
            connection = uow.session.connection()
            return _decide(uow, connection, _restored(casestore.state_of_task(connection, task_id)), change)

    def _on_case(self, case_number: str, change: Change) -> domain.Decision:
        """Lock the case, let the engine decide, save the new state and its events in one transaction."""
        with self.db.unit_of_work() as uow:
            connection = uow.session.connection()
            return _decide(uow, connection, _locked(connection, case_number), change)

    @event_handler("supervision", CASE_URGED)  # type: ignore[untyped-decorator]
    def on_case_urged(self, body: dict[str, Any]) -> None:
        """督办: the urged task carries the supervisor's deadline in its post's inbox."""
        event = Event.from_message(body)
        number = event.case_number or ""
        with self.db.read() as session:
            known = session.get(CaseRow, number) is not None
        if not known:  # supervision may urge what workflow never routed (a complaint); nothing to mark
            LOG.info("urging for case %s, which workflow does not have", number)
            return
        with self.db.unit_of_work() as uow:
            if not uow.first_delivery(event.event_id, "workflow.on_case_urged"):
                return
            connection = uow.session.connection()
            case, _ = _locked(connection, number)
            decision = actions.record_urging(case, target=event.payload["target"],
                                            urged_by=event.payload["urged_by"], deadline=event.payload["deadline"])
            casestore.save(connection, decision.case, before=case)

    @timer(interval=30)  # type: ignore[untyped-decorator]
    def close_expired_meetings(self) -> None:
        """网上会办 time boxes: a meeting whose limit ran out goes to coordination (one replica at a time)."""
        with self.singleton("meeting-time-box", ttl_seconds=120) as mine:
            if not mine:
                return
            now = datetime.now(UTC)
            with self.db.engine.connect() as connection:
                numbers = casestore.meetings_past_due(connection, MEETING_STAGES, now)
            for number in numbers:
                self._on_case(number, lambda d, c, at, absent: actions.close_expired_meeting(
                    d, c, now=at, calendar=CALENDAR, absent=absent) or domain.Decision(c, ()))

    @timer(interval=15)  # type: ignore[untyped-decorator]
    def count_open_cases(self) -> None:
        """Cases open now, per tenant, from the database: right after restarts and across replicas."""
        with self.db.engine.connect() as connection:
            counts = casestore.open_cases_per_tenant(connection)
        for tenant in set(counts) | TENANTS_REPORTED:  # a tenant whose last case closed drops to 0
            metrics.CASES_OPEN.labels(tenant).set(counts.get(tenant, 0))
        TENANTS_REPORTED.update(counts)

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def list_tasks(self, post: str, limit: int | None = None, after: str | None = None) -> list[dict[str, Any]]:
        """A post's inbox: open tasks, the nearest deadline first, with the working time left.

        ``limit`` (1–500) and ``after`` (the last task of the previous page) page it; a page shorter than
        ``limit`` is the last. Without ``limit``, every open task of the post.
        """
        page = load_or_fail(SCHEMAS[InboxPageSchema], {"post": post, "limit": limit, "after": after}, "inbox page")
        now = datetime.now(UTC)
        with self.db.engine.connect() as connection:
            rows = casestore.inbox(connection, page["post"], page["limit"], page["after"])
        return [{**SCHEMAS[TaskSchema].dump(row), **_remaining(row.due_at, now)} for row in rows]

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def get_case(self, case_number: str) -> dict[str, Any]:
        """A case's full state: status, tasks with opinions and timing."""
        with self.db.engine.connect() as connection:  # one read: no ORM session to set up and tear down
            return dict(casestore.state_of(connection, case_number)["case"])


Change = Callable[[Definition, domain.Case, datetime, Container[str]], domain.Decision]


def _decide(uow: UnitOfWork, connection: Connection, locked: tuple[domain.Case, Definition],
            change: Change) -> domain.Decision:
    """Inside ``uow``, on a locked case: let the engine decide, save the new state and record its events."""
    case, definition = locked
    decision = change(definition, case, datetime.now(UTC), casestore.AbsentPosts(connection))
    casestore.save(connection, decision.case, before=case)
    for outgoing in decision.events:
        uow.emit(outgoing)
    return decision


def _locked(connection: Connection, case_number: str) -> tuple[domain.Case, Definition]:
    """The case, locked for this transaction, and the definition version it started on."""
    return _restored(casestore.state_of(connection, case_number, lock=True))


def _restored(state: dict[str, Any]) -> tuple[domain.Case, Definition]:
    """A saved case and the definition version it started on."""
    case = saved.from_state(state)
    return case, DEFINITIONS[(case.definition_key, case.definition_version)]


def _summary(case: domain.Case) -> dict[str, Any]:
    return {"case_number": case.case_number, "status": case.status, "stage": case.position,
            "open_tasks": [t.task_id for t in case.open_tasks]}


def _remaining(due_at: datetime, now: datetime) -> dict[str, Any]:
    """Working time left before the due time (negative once overdue)."""
    if due_at >= now:
        return {"remaining_working_seconds": CALENDAR.working_time_between(now, due_at).total_seconds(),
                "overdue": False}
    return {"remaining_working_seconds": -CALENDAR.working_time_between(due_at, now).total_seconds(),
            "overdue": True}
