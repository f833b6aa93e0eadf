"""Keeping every case's clock and lights current: on each event, and on each tick for what fell due.

``reconcile`` replays a case from its audit records (so late and out-of-order events are placed where
they happened), raises every light it has earned and not yet had, rewrites the case's summary rows and
records when the next light falls due; the caller mirrors that instant into the Redis index after the commit.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, bindparam, insert, select, update
from sqlalchemy.orm import Session

from sunlight import metrics
from sunlight.calendar import WorkingCalendar
from sunlight.contracts import (
    CASE_URGED,
    DEADLINE_PROMPTED,
    DEADLINE_RED,
    DEADLINE_YELLOW,
    VIOLATION_RAISED,
    VIOLATION_WITHDRAWN,
    new_event,
)
from sunlight.db import Store, UnitOfWork
from supervision import audit_log, readahead, summaries
from supervision.domain import clocks, lights, violations
from supervision.models import CaseClockRow, LightRow, UrgingRow, ViolationRow

if TYPE_CHECKING:  # the index's module hands workers the recorder, which reconciles with this one
    from supervision.dependencies import DueIndex

LIGHT_EVENTS = {lights.PROMPT: DEADLINE_PROMPTED, lights.YELLOW: DEADLINE_YELLOW, lights.RED: DEADLINE_RED}
TICK_BATCH = 500
RETRY_BROKEN_CASE = timedelta(minutes=1)
log = logging.getLogger(__name__)
_URGINGS, _LIGHTS, _VIOLATIONS = UrgingRow.__table__, LightRow.__table__, ViolationRow.__table__
# built once and run on the session's connection: every event runs them, and building a statement (or going
# through the session's execute machinery) costs more than running it
_READ_URGINGS = (select(_URGINGS.c.target, _URGINGS.c.deadline)
                 .where(_URGINGS.c.case_number == bindparam("case_number")).order_by(_URGINGS.c.id))
_READ_LIGHTS = select(_LIGHTS.c.target, _LIGHTS.c.level).where(_LIGHTS.c.case_number == bindparam("case_number"))
_INSERT_LIGHT = insert(_LIGHTS)
_READ_OPEN_VIOLATIONS = (select(_VIOLATIONS.c.id, _VIOLATIONS.c.kind, _VIOLATIONS.c.target, _VIOLATIONS.c.tenant,
                                _VIOLATIONS.c.evidence, _VIOLATIONS.c.detail, _VIOLATIONS.c.raised_at)
                         .where(_VIOLATIONS.c.case_number == bindparam("case_number"),
                                _VIOLATIONS.c.withdrawn_at.is_(None)).order_by(_VIOLATIONS.c.id))
_READ_CASES_OPEN_VIOLATIONS = (
    select(_VIOLATIONS.c.case_number, *_READ_OPEN_VIOLATIONS.selected_columns)
    .where(_VIOLATIONS.c.case_number.in_(bindparam("numbers", expanding=True)), _VIOLATIONS.c.withdrawn_at.is_(None))
    .order_by(_VIOLATIONS.c.id))
_READ_AHEAD = "supervision.watch.open_violations"
_INSERT_VIOLATION = insert(_VIOLATIONS)
_WITHDRAW_VIOLATION = update(_VIOLATIONS).where(_VIOLATIONS.c.id == bindparam("row_id")).values(
    withdrawn_at=bindparam("withdrawn_at"), withdrawal_evidence=bindparam("withdrawal_evidence"),
    withdrawal_detail=bindparam("withdrawal_detail"))


@dataclass(frozen=True)
class Rules:
    """What reconciling needs besides the database: the calendar and the thresholds file."""

    calendar: WorkingCalendar
    thresholds: Mapping[str, Any]


def load_clock(session: Session, case_number: str) -> clocks.CaseClock:
    """The case's clock replayed from every audit record it has."""
    return clocks.replay(case_number, audit_log.case_events(session, case_number))


def urgings_of(session: Session, case_number: str) -> list[lights.Urging]:
    """Every urging on the case, as the domain sees them."""
    rows = session.connection().execute(_READ_URGINGS, {"case_number": case_number})
    return [lights.Urging(target, deadline) for target, deadline in rows]


def reconcile(uow: UnitOfWork, case_number: str, now: datetime, rules: Rules) -> datetime | None:
    """Bring the case's clock record and lights up to ``now``; return when its next light falls due."""
    trail = audit_log.case_trail(uow.session, case_number)
    clock = clocks.replay(case_number, [record.body for record in trail])
    # an urging or a light is written with its audit record (case.urged, deadline.*) in one transaction: a case
    # whose trail has none has no row to read (most cases: the two reads were a sixth of every event's statements)
    recorded = {record.event_type for record in trail}
    urgings = urgings_of(uow.session, case_number) if CASE_URGED in recorded else []
    limits = lights.thresholds_for(rules.thresholds, clock.tenant, clock.item_code)
    connection = uow.session.connection()
    raised = ({(target, level) for target, level in connection.execute(_READ_LIGHTS, {"case_number": case_number})}
              if recorded.intersection(LIGHT_EVENTS.values()) else set())
    urging_deadlines = {u.target: u.deadline for u in urgings}
    found = lights.thresholds(clock, rules.calendar, limits, urgings)  # once, for what is due and what comes next
    for light in lights.lights_due(clock, rules.calendar, limits, now, urgings, found):
        if (light.target, light.level) in raised:
            continue
        raised.add((light.target, light.level))
        connection.execute(_INSERT_LIGHT, {"case_number": case_number, "target": light.target, "stage": light.stage,
                                            "post": light.post, "tenant": clock.tenant, "level": light.level,
                                            "due_at": light.at, "raised_at": now})
        # a post is tenant/department/role: the department is what the board ranks (red lights by office)
        department = light.post.split("/")[1] if light.post.count("/") >= 2 else "(case)"
        metrics.WARNINGS_RAISED.labels(light.level, clock.tenant, department).inc()
        event = new_event(LIGHT_EVENTS[light.level], case_number, {
            "target": light.target, "stage": light.stage, "post": light.post, "tenant": clock.tenant,
            "item_code": clock.item_code, "due_at": light.at,
            "urging_deadline": urging_deadlines.get(light.target) if light.level == lights.RED else None,
            "kind": clock.kind,
        }, now)
        emit_audited(uow, event)
    next_at = lights.next_light_at(clock, rules.calendar, limits, raised, urgings, after=now, found=found)
    summaries.record(uow.session, clock, rules.calendar, next_at, now)
    return next_at


def read_open_violations(session: Session, case_numbers: Sequence[str]) -> None:
    """Read the open violations of several cases with one statement, for each case's next ``raise_violations``
    in this transaction (handed out once: it may withdraw some)."""
    if not case_numbers:
        return
    stored: dict[str, list[Any]] = {number: [] for number in case_numbers}
    for row in session.connection().execute(_READ_CASES_OPEN_VIOLATIONS, {"numbers": list(case_numbers)}):
        stored[row.case_number].append(row)
    readahead.keep(session, _READ_AHEAD, stored)


def _open_violations(session: Session, case_number: str) -> list[Any]:
    """The case's open violations: read ahead for this transaction by ``read_open_violations``, or read now."""
    stored: list[Any] | None = readahead.take(session, _READ_AHEAD, case_number)
    if stored is not None:
        return stored
    return list(session.connection().execute(_READ_OPEN_VIOLATIONS, {"case_number": case_number}).all())


def raise_violations(uow: UnitOfWork, case_number: str, now: datetime) -> int:
    """Raise, once each, the violations the case's audit records now show (``violation.raised``)."""
    records = [violations.Record(r.seq, r.event_type, datetime.fromisoformat(r.occurred_at),
                                 r.body.get("payload") or {}) for r in audit_log.case_trail(uow.session, case_number)]
    tenant = violations.tenant_of(records)
    connection = uow.session.connection()
    open_rows = _open_violations(uow.session, case_number)
    shown = violations.detect(records)
    withdrawn = withdraw_violations(uow, case_number, records, shown, open_rows, now)
    known = {(row.kind, row.target) for row in open_rows} - withdrawn
    raised = 0
    for found in shown:
        if (found.kind, found.target) in known:
            continue
        known.add((found.kind, found.target))
        connection.execute(_INSERT_VIOLATION, {
            "case_number": case_number, "tenant": tenant, "kind": found.kind, "target": found.target,
            "evidence": json.dumps(list(found.evidence)), "detail": found.detail, "raised_at": now})
        emit_audited(uow, new_event(VIOLATION_RAISED, case_number, {
            "kind": found.kind, "target": found.target, "tenant": tenant, "evidence": list(found.evidence),
            "detail": found.detail}, now))
        metrics.VIOLATIONS.labels(tenant, found.kind, "raised").inc()
        metrics.VIOLATIONS.labels(tenant, found.kind, "withdrawn")  # at 0: so its first withdrawal is an increase
        raised += 1
    return raised


def withdraw_violations(uow: UnitOfWork, case_number: str, records: list[violations.Record],
                        shown: list[violations.Violation], open_rows: Sequence[Row[Any]],
                        now: datetime) -> set[tuple[str, str]]:
    """Withdraw the open violations the records no longer show (``violation.withdrawn``); their rows are kept.

    ``open_rows`` are ``_READ_OPEN_VIOLATIONS``'s; returns the (kind, target) of those withdrawn.
    """
    if not open_rows:
        return set()
    rows = {(row.kind, row.target): row for row in open_rows}
    raised = [violations.Violation(row.kind, row.target, tuple(json.loads(row.evidence)), row.detail)
              for row in open_rows]
    gone = violations.withdrawals(records, raised, shown)
    for withdrawal in gone:
        row = rows[(withdrawal.kind, withdrawal.target)]
        uow.session.connection().execute(_WITHDRAW_VIOLATION, {
            "row_id": row.id, "withdrawn_at": now, "withdrawal_evidence": json.dumps(list(withdrawal.evidence)),
            "withdrawal_detail": withdrawal.detail})
        emit_audited(uow, new_event(VIOLATION_WITHDRAWN, case_number, {
            "kind": row.kind, "target": row.target, "tenant": row.tenant, "evidence": list(withdrawal.evidence),
            "raised_at": row.raised_at, "detail": withdrawal.detail}, now))
        metrics.VIOLATIONS.labels(row.tenant, row.kind, "withdrawn").inc()
    return {(withdrawal.kind, withdrawal.target) for withdrawal in gone}


def violation_view(row: ViolationRow) -> dict[str, Any]:
    """A violation as the RPCs show it; a withdrawn one says so, when, and which records disproved it."""
    return {"case_number": row.case_number, "tenant": row.tenant, "kind": row.kind, "target": row.target,
            "evidence": json.loads(row.evidence), "detail": row.detail, "raised_at": row.raised_at.isoformat(),
            "withdrawn": row.withdrawn_at is not None,
            "withdrawn_at": row.withdrawn_at.isoformat() if row.withdrawn_at else None,
            "withdrawal_evidence": json.loads(row.withdrawal_evidence or "[]"),
            "withdrawal_detail": row.withdrawal_detail or ""}


def emit_audited(uow: UnitOfWork, event: Any) -> None:
    """Publish one of supervision's own events after commit, and put it in the audit log now."""
    uow.emit(event)
    audit_log.append_event(uow.session, event.to_message())


def tick(store: Store, index: DueIndex, now: datetime, rules: Rules,
         reconcile_one: Callable[..., datetime | None] = reconcile) -> int:
    """Raise every light fallen due by ``now`` (however late the tick is); returns the cases looked at."""
    if not index.is_built():
        with store.read() as session:
            pending = session.execute(select(CaseClockRow.case_number, CaseClockRow.next_light_at)
                                      .where(CaseClockRow.next_light_at.is_not(None))).all()
        index.rebuild((number, at) for number, at in pending if at is not None)
    looked_at = 0
    while True:
        due = index.due(now, TICK_BATCH)
        if not due:
            return looked_at
        for case_number in due:
            try:
                with store.unit_of_work() as uow:
                    next_at = reconcile_one(uow, case_number, now, rules)
            except Exception:
                # one bad case must not hold up every other deadline: look at it again a minute later
                log.exception("could not reconcile %s; retrying it in a minute", case_number)
                next_at = now + RETRY_BROKEN_CASE
            index.schedule(case_number, next_at)
            looked_at += 1
