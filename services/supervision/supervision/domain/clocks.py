"""Clocks of a case and of each of its stages, rebuilt from the case's events. Pure Python.

A case's limit is counted in working days (its promised date); a stage's in office time (the ``due_at``
the workflow gave it), because efficiency is measured in hours per stage and post (seed 000). While the
case is returned for correction (补正) or suspended for an excluded step (挂起) every running clock stops;
on resumption the case's promised date moves by the working days in (stopped date, resumed date] and each
stage's deadline by the office time that passed while stopped. Every stopped period keeps its reason.

Events are folded in the order they happened (``occurred_at``), whatever order they arrived in, so an
event that arrives late or before the case is known is reconciled on the next replay, never dropped.

A complaint (信访) has a clock too: accepted when filed, due at the deadline its tenant gives, with one
stage (``handling``) owned by the handler post, closed when answered. Its lights are that stage's, so the
same machinery prompts, lights and urges the post that must answer it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sunlight.calendar import SHANGHAI, WorkingCalendar

ACCEPTED = "application.accepted"
OPENED = "case.opened"
TASK_CREATED = "task.created"
TASK_COMPLETED = "task.completed"
RETURNED = "case.returned"
SUSPENDED = "case.suspended"
RESUMED = "case.resumed"
CLOSING = {"case.approved": "approved", "case.rejected": "rejected", "case.withdrawn": "withdrawn"}
COMPLAINT_FILED = "complaint.filed"
COMPLAINT_RESOLVED = "complaint.resolved"
CASE, COMPLAINT = "case", "complaint"  # the kinds of clock
COMPLAINT_ITEM = "complaint"  # the item code a complaint's clock carries, for thresholds and statistics
HANDLING = "handling"  # the task id of a complaint's one stage
HANDLING_STAGE = "complaint-handling"
STOPPING = {RETURNED: "correction", SUSPENDED: "suspension"}
#: how many office-time results are remembered: every event of a case asks again for its stages' deadlines,
#: which only change when a stage opens or the clock stops (pure functions of their arguments, so a remembered
#: answer is the answer)
OFFICE_TIME_MEMORY = 16384


@dataclass(frozen=True)
class StoppedPeriod:
    """An interval the clock did not run, and why (``kind`` is correction or suspension)."""

    kind: str
    reason: str
    stopped_at: datetime
    resumed_at: datetime | None = None


@dataclass(frozen=True)
class StageClock:
    """One stage (task) of a case: opened, due, and completed at."""

    task_id: str
    stage: str
    post: str
    opened_at: datetime
    due_at: datetime  # as the workflow set it, before any stop
    completed_at: datetime | None = None
    completed_by: str = ""
    decision: str = ""


@dataclass(frozen=True)
class CaseClock:
    """A case as supervision knows it from its events."""

    case_number: str
    kind: str = CASE  # or COMPLAINT
    tenant: str = ""
    item_code: str = ""
    item_name: str = ""
    applicant_name: str = ""
    accepted_at: datetime | None = None
    promised_date: date | None = None
    definition: str = ""
    outcome: str = ""  # approved / rejected / withdrawn once closed
    closed_at: datetime | None = None
    stages: tuple[StageClock, ...] = ()
    stops: tuple[StoppedPeriod, ...] = ()
    unknown_events: tuple[str, ...] = field(default=())  # event ids this clock could not place

    @property
    def stopped(self) -> bool:
        """Whether the clock is stopped now (returned for correction or suspended)."""
        return bool(self.stops) and self.stops[-1].resumed_at is None

    @property
    def known(self) -> bool:
        """Whether the acceptance that starts the clock has arrived."""
        return self.accepted_at is not None and self.promised_date is not None


def _instant(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _ordered(events: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Events in the order they happened; ties keep arrival order."""
    return sorted(events, key=lambda event: _instant(event["occurred_at"]))


def replay(case_number: str, events: Iterable[Mapping[str, Any]]) -> CaseClock:
    """The case's clock after every event known so far, in the order they happened."""
    clock = CaseClock(case_number=case_number)
    for event in _ordered(events):
        clock = _apply(clock, event)
    return clock


def _apply(clock: CaseClock, event: Mapping[str, Any]) -> CaseClock:
    kind = str(event["event_type"])
    at = _instant(event["occurred_at"])
    payload: Mapping[str, Any] = event.get("payload") or {}
    if kind == ACCEPTED:
        return replace(
            clock, accepted_at=_instant(payload["accepted_at"]),
            promised_date=date.fromisoformat(str(payload["promised_date"])),
            tenant=str(payload["tenant"]), item_code=str(payload["item_code"]),
            item_name=str(payload["item_name"]),
            applicant_name=str((payload.get("applicant") or {}).get("name", "")))
    if kind == OPENED:
        return replace(clock, tenant=clock.tenant or str(payload["tenant"]),
                       item_code=clock.item_code or str(payload["item_code"]),
                       definition=str(payload.get("definition", "")))
    if kind == TASK_CREATED:
        stage = StageClock(task_id=str(payload["task_id"]), stage=str(payload["stage"]),
                           post=str(payload["post"]), opened_at=at, due_at=_instant(payload["due_at"]))
        return replace(clock, stages=(*[s for s in clock.stages if s.task_id != stage.task_id], stage))
    if kind == TASK_COMPLETED:
        return _complete_stage(clock, event, at)
    if kind == COMPLAINT_FILED:
        return _file_complaint(clock, payload, at)
    if kind == COMPLAINT_RESOLVED:
        answered = _complete_stage(clock, {**event, "payload": {"task_id": HANDLING,
                                                                "actor": payload.get("handler_post", "")}}, at)
        return replace(answered, outcome="answered", closed_at=at)
    if kind in STOPPING:
        if clock.stopped:
            return clock
        reason = str(payload.get("reason") or payload.get("missing") or kind)
        return replace(clock, stops=(*clock.stops, StoppedPeriod(STOPPING[kind], reason, at)))
    if kind == RESUMED:
        if not clock.stopped:
            return clock
        return replace(clock, stops=(*clock.stops[:-1], replace(clock.stops[-1], resumed_at=at)))
    if kind in CLOSING:
        closed = clock
        if clock.stopped:  # a case withdrawn while returned: the stop ends with the case
            closed = replace(clock, stops=(*clock.stops[:-1], replace(clock.stops[-1], resumed_at=at)))
        return replace(closed, outcome=CLOSING[kind], closed_at=at)
    return clock


def _complete_stage(clock: CaseClock, event: Mapping[str, Any], at: datetime) -> CaseClock:
    payload: Mapping[str, Any] = event.get("payload") or {}
    task_id = str(payload["task_id"])
    done = {"completed_at": at, "completed_by": str(payload.get("actor", "")),
            "decision": str(payload.get("decision", ""))}
    if not any(s.task_id == task_id for s in clock.stages):
        # completion before its creation arrived: keep it, the creation fills in the rest on replay
        return replace(clock, unknown_events=(*clock.unknown_events, str(event["event_id"])))
    return replace(clock, stages=tuple(replace(s, **done) if s.task_id == task_id else s  # type: ignore[arg-type]
                                       for s in clock.stages))


def _file_complaint(clock: CaseClock, payload: Mapping[str, Any], at: datetime) -> CaseClock:
    deadline = _instant(payload["deadline"])
    handling = StageClock(task_id=HANDLING, stage=HANDLING_STAGE, post=str(payload["handler_post"]),
                          opened_at=at, due_at=deadline)
    return replace(clock, kind=COMPLAINT, accepted_at=at, tenant=str(payload["tenant"]), item_code=COMPLAINT_ITEM,
                   item_name=str(payload.get("subject", "")), promised_date=deadline.astimezone(SHANGHAI).date(),
                   applicant_name=str((payload.get("complainant") or {}).get("name", "")),
                   stages=(*[s for s in clock.stages if s.task_id != HANDLING], handling))


# --- deadlines ---------------------------------------------------------------------------------


def stopped_working_days(stops: Iterable[StoppedPeriod], calendar: WorkingCalendar) -> int:
    """Working days in (stopped date, resumed date] of every closed stop: days the case limit does not count."""
    total = 0
    for stop in stops:
        if stop.resumed_at is not None:
            total += calendar.working_days_between(stop.stopped_at.astimezone(calendar.tz).date(),
                                                   stop.resumed_at.astimezone(calendar.tz).date())
    return total


def case_deadline(clock: CaseClock, calendar: WorkingCalendar) -> datetime | None:
    """Close of office on the promised date moved by the stopped working days; None while stopped or unknown."""
    if not clock.known or clock.stopped or clock.promised_date is None:
        return None
    last_day = calendar.add_working_days(clock.promised_date, stopped_working_days(clock.stops, calendar))
    return datetime.combine(last_day, calendar.office_hours[-1][1], tzinfo=calendar.tz)


def promised_date(clock: CaseClock, calendar: WorkingCalendar) -> date | None:
    """The promised date as it stands after the stops so far (the original while stopped)."""
    deadline = case_deadline(clock, calendar)
    if deadline is not None:
        return deadline.date()
    if clock.promised_date is None:
        return None
    return calendar.add_working_days(clock.promised_date, stopped_working_days(clock.stops, calendar))


def working_day_length(calendar: WorkingCalendar) -> timedelta:
    """Office time in one working day (7.5 hours by default)."""
    return sum((datetime.combine(date.min, closes) - datetime.combine(date.min, opens)
                for opens, closes in calendar.office_hours), timedelta(0))


def stage_budget(stage: StageClock, calendar: WorkingCalendar) -> timedelta:
    """The stage's limit as office time: from opening to the due time the workflow set."""
    return _office_time(stage.opened_at, stage.due_at, calendar)


@lru_cache(maxsize=OFFICE_TIME_MEMORY)
def _office_time(start: datetime, end: datetime, calendar: WorkingCalendar) -> timedelta:
    return calendar.working_time_between(start, end)


def spend(start: datetime, amount: timedelta, stops: Iterable[StoppedPeriod],
          calendar: WorkingCalendar) -> datetime | None:
    """The instant ``amount`` of running office time after ``start``, skipping stops (None: in an open stop)."""
    return _spend(start, amount, tuple(stops), calendar)


@lru_cache(maxsize=OFFICE_TIME_MEMORY)
def _spend(start: datetime, amount: timedelta, stops: tuple[StoppedPeriod, ...],
           calendar: WorkingCalendar) -> datetime | None:
    cursor, remaining = start, amount
    for stop in sorted(stops, key=lambda s: s.stopped_at):
        if stop.resumed_at is not None and stop.resumed_at <= cursor:
            continue
        if stop.stopped_at > cursor:
            running = calendar.working_time_between(cursor, stop.stopped_at)
            if remaining <= running:
                return calendar.add_working_hours(cursor, remaining)
            remaining -= running
        if stop.resumed_at is None:
            return None
        cursor = max(cursor, stop.resumed_at)
    return calendar.add_working_hours(cursor, remaining)


def stage_deadline(stage: StageClock, stops: Iterable[StoppedPeriod], calendar: WorkingCalendar) -> datetime | None:
    """When the stage's office-time budget runs out, counting only time the clock ran."""
    return spend(stage.opened_at, stage_budget(stage, calendar), stops, calendar)


def stage_working_time(stage: StageClock, stops: Iterable[StoppedPeriod], calendar: WorkingCalendar,
                       until: datetime) -> timedelta:
    """Office time the stage's clock ran from opening until ``until`` (or its completion)."""
    return _running_time(stage.opened_at, stage.completed_at or until, tuple(stops), calendar)


@lru_cache(maxsize=OFFICE_TIME_MEMORY)
def _running_time(opened_at: datetime, end: datetime, stops: tuple[StoppedPeriod, ...],
                  calendar: WorkingCalendar) -> timedelta:
    elapsed = calendar.working_time_between(opened_at, end)
    for stop in stops:
        stop_end = min(stop.resumed_at or end, end)
        if stop_end > opened_at and stop.stopped_at < end:
            elapsed -= calendar.working_time_between(max(stop.stopped_at, opened_at), stop_end)
    return elapsed
