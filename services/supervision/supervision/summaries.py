"""Per-case and per-stage clock summaries (``case_clocks``, ``stage_clocks``): what statistics read.

``record`` rewrites a case's rows from its replayed clock in the transaction of the event that changed
it (``watch.reconcile``), so a statistics call reads two tables instead of replaying the audit log. The
audit log stays the record: ``rebuild`` recomputes every row from it, for reconciliation, and so does

    python -m supervision.summaries [--db-uri URI]

Events that arrived out of order or before their case are in the log, so a rebuild places them too.
The command leaves Redis alone: a case it found no row for is due at once in the database, and reaches the
tick's index when that is next rebuilt; the ``rebuild_summaries`` RPC schedules such cases itself.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, create_engine, delete, insert, select, update
from sqlalchemy.orm import Session

from sunlight.calendar import WorkingCalendar
from supervision import audit_log, readahead
from supervision.domain import clocks, statistics
from supervision.models import AuditRecord, CaseClockRow, StageClockRow

DEFAULT_DB_URI = "sqlite:///var/supervision.db"
_CASES = CaseClockRow.__table__
_STAGES = StageClockRow.__table__
_STAGE_COLUMNS = (_STAGES.c.stage, _STAGES.c.post, _STAGES.c.opened_at, _STAGES.c.deadline, _STAGES.c.completed_at,
                  _STAGES.c.working_seconds)
_STAGE_NAMES = tuple(column.name for column in _STAGE_COLUMNS)
# built once: every event runs them, and building a statement costs more than running it
_UPDATE_CASE = update(_CASES).where(_CASES.c.case_number == bindparam("number"))
_INSERT_CASE = insert(_CASES)
_READ_STAGES = select(_STAGES.c.task_id, *_STAGE_COLUMNS).where(_STAGES.c.case_number == bindparam("number"))
_READ_CASES_STAGES = (select(_STAGES.c.case_number, _STAGES.c.task_id, *_STAGE_COLUMNS)
                      .where(_STAGES.c.case_number.in_(bindparam("numbers", expanding=True))))
_READ_AHEAD = "supervision.summaries.stages"
_INSERT_STAGE = insert(_STAGES)
_UPDATE_STAGE = update(_STAGES).where(_STAGES.c.case_number == bindparam("number"),
                                      _STAGES.c.task_id == bindparam("task"))


def read_stages(session: Session, case_numbers: Sequence[str]) -> None:
    """Read the stored stage rows of several cases with one statement, for each case's next ``record`` in this
    transaction (each case's rows are handed out once: ``record`` writes them)."""
    if not case_numbers:
        return
    stored: dict[str, dict[str, tuple[Any, ...]]] = {number: {} for number in case_numbers}
    for row in session.connection().execute(_READ_CASES_STAGES, {"numbers": list(case_numbers)}):
        stored[row[0]][row[1]] = tuple(row[2:])
    readahead.keep(session, _READ_AHEAD, stored)


def _stored_stages(session: Session, case_number: str) -> dict[str, tuple[Any, ...]]:
    """The case's stage rows as stored: read ahead for this transaction by ``read_stages``, or read now."""
    stored: dict[str, tuple[Any, ...]] | None = readahead.take(session, _READ_AHEAD, case_number)
    if stored is not None:
        return stored
    return {row[0]: tuple(row[1:]) for row in session.connection().execute(_READ_STAGES, {"number": case_number})}


def record(session: Session, clock: clocks.CaseClock, calendar: WorkingCalendar, next_at: datetime | None,
           now: datetime) -> None:
    """Write the case's summary row and one row per stage as its clock now stands.

    Plain statements, not the ORM: the case row is updated in place (inserted the first time) and only the
    stage rows that differ from what is stored are written, since one event moves one stage at most.
    """
    summary = statistics.summarize(clock, calendar)
    values = {
        "kind": clock.kind, "tenant": clock.tenant, "item_code": clock.item_code,
        "state": ("closed" if clock.closed_at else "stopped" if clock.stopped
                  else "running" if clock.known else "pending"),
        "accepted_at": clock.accepted_at, "closed_at": clock.closed_at,
        "promised_date": clocks.promised_date(clock, calendar), "deadline": summary.deadline,
        "next_light_at": next_at, "updated_at": now,
    }
    connection = session.connection()  # the session's execute machinery costs more than these statements
    updated = connection.execute(_UPDATE_CASE, {"number": clock.case_number, **values})
    if not updated.rowcount:
        connection.execute(_INSERT_CASE, {"case_number": clock.case_number, **values})
    existing = _stored_stages(session, clock.case_number)
    opened = {s.task_id: s.opened_at for s in clock.stages}
    for stage in summary.stages:
        wanted = (stage.stage, stage.post, opened[stage.task_id], stage.deadline, stage.completed_at,
                  None if stage.working_hours is None else stage.working_hours * 3600)
        stored = existing.pop(stage.task_id, None)
        if stored == wanted:
            continue
        columns = dict(zip(_STAGE_NAMES, wanted, strict=True))
        if stored is None:
            connection.execute(_INSERT_STAGE, {"case_number": clock.case_number, "task_id": stage.task_id,
                                               **columns})
        else:
            connection.execute(_UPDATE_STAGE, {"number": clock.case_number, "task": stage.task_id, **columns})
    if existing:
        connection.execute(delete(_STAGES).where(_STAGES.c.case_number == clock.case_number,
                                                 _STAGES.c.task_id.in_(list(existing))))


def load(session: Session, tenant: str | None = None) -> list[statistics.CaseSummary]:
    """Every case's and complaint's summary, of one tenant or all, from the two tables (plain rows, no ORM)."""
    cases = select(CaseClockRow.case_number, CaseClockRow.kind, CaseClockRow.tenant, CaseClockRow.item_code,
                   CaseClockRow.accepted_at, CaseClockRow.deadline, CaseClockRow.closed_at)
    stages = select(StageClockRow.case_number, StageClockRow.task_id, StageClockRow.stage, StageClockRow.post,
                    StageClockRow.deadline, StageClockRow.completed_at, StageClockRow.working_seconds)
    if tenant:
        cases = cases.where(CaseClockRow.tenant == tenant)
        stages = stages.join(CaseClockRow, CaseClockRow.case_number == StageClockRow.case_number).where(
            CaseClockRow.tenant == tenant)
    by_case: dict[str, list[statistics.StageSummary]] = {}
    for number, task_id, stage, post, deadline, completed_at, seconds in session.execute(
            stages.order_by(StageClockRow.case_number, StageClockRow.opened_at)):
        by_case.setdefault(number, []).append(statistics.StageSummary(
            task_id, stage, post, deadline, completed_at, None if seconds is None else seconds / 3600))
    return [statistics.CaseSummary(number, kind, of_tenant, item_code, accepted_at is not None, deadline, closed_at,
                                   tuple(by_case.get(number, ())))
            for number, kind, of_tenant, item_code, accepted_at, deadline, closed_at in session.execute(cases)]


def rebuild(session: Session, calendar: WorkingCalendar, now: datetime) -> list[tuple[str, datetime | None]]:
    """Rewrite every summary row from the audit log; returns each case and when its next light is due.

    A case that had no row yet (its events were never reconciled) is due at once, so that the next tick
    raises whatever lights it has earned; an existing row keeps the instant its last reconciliation set.
    """
    session.execute(delete(StageClockRow))
    numbers = session.scalars(select(AuditRecord.case_number).where(AuditRecord.case_number.is_not(None))
                              .distinct().order_by(AuditRecord.case_number)).all()
    rebuilt: list[tuple[str, datetime | None]] = []
    for number in numbers:
        assert number is not None  # filtered by the query
        clock = clocks.replay(number, audit_log.case_events(session, number))
        row = session.get(CaseClockRow, number)
        next_at = row.next_light_at if row is not None else (now if clock.known else None)
        record(session, clock, calendar, next_at, now)
        rebuilt.append((number, next_at))
    return rebuilt


def main(argv: list[str] | None = None) -> int:
    """Rebuild the summaries of supervision's database from its audit log; print how many."""
    parser = argparse.ArgumentParser(prog="python -m supervision.summaries", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db-uri", default=os.environ.get("DB_URI", DEFAULT_DB_URI),
                        help="supervision's database (default: $DB_URI or %(default)s)")
    args = parser.parse_args(argv)
    engine = create_engine(args.db_uri)
    try:
        with Session(engine) as session, session.begin():
            rebuilt = rebuild(session, WorkingCalendar.default(), datetime.now(UTC))
    finally:
        engine.dispose()
    print(f"rebuilt the clock summaries of {len(rebuilt)} case(s) and complaint(s) from the audit log")
    return 0


if __name__ == "__main__":
    sys.exit(main())
