"""Prompt, yellow and red lights (预警 / 黄牌 / 红牌) on a case and on each of its stages. Pure Python.

A target is the whole case or one stage. It gets a **prompt** a lead time before its deadline (one working
day by default; a share of the limit for a stage shorter than a working day), a **yellow** light once it is
overdue, and a **red** light when it is still overdue after the urging deadline the supervising post set.
A stage that finishes late is an incident even when the case as a whole is on time. A complaint (信访) is lit
on its one handling stage only: that stage is the whole complaint, and it names the post to text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sunlight.calendar import WorkingCalendar
from supervision.domain.clocks import (
    COMPLAINT,
    CaseClock,
    case_deadline,
    spend,
    stage_budget,
    stage_deadline,
    working_day_length,
)

CASE_TARGET = "case"
PROMPT, YELLOW, RED = "prompt", "yellow", "red"
LEVELS = (PROMPT, YELLOW, RED)


@dataclass(frozen=True)
class Thresholds:
    """When lights come, per item and tenant: prompt lead in working days, share for short stages, urging limit."""

    prompt_lead_working_days: int = 1
    short_stage_prompt_share: float = 0.25  # prompt when this share of a sub-day stage limit is left
    urging_working_days: int = 1  # default limit an urging notice gives
    complaint_working_days: int = 3  # 信访: seed 001 cut handling from a week to 2–3 days


def thresholds_for(config: Mapping[str, Any], tenant: str, item_code: str) -> Thresholds:
    """Defaults, then the tenant's, then the item's settings (``{defaults, tenants: {}, items: {}}``)."""
    merged: dict[str, Any] = {}
    for layer in (config.get("defaults") or {}, (config.get("tenants") or {}).get(tenant) or {},
                  (config.get("items") or {}).get(item_code) or {}):
        merged.update(layer)
    return Thresholds(**merged)


@dataclass(frozen=True)
class Urging:
    """An urging notice (督办) on one target, with the deadline it sets."""

    target: str
    deadline: datetime


@dataclass(frozen=True)
class Threshold:
    """The instant a target reaches a light level."""

    target: str
    level: str
    at: datetime
    post: str = ""
    stage: str = ""


def thresholds(clock: CaseClock, calendar: WorkingCalendar, limits: Thresholds,
               urgings: Iterable[Urging] = ()) -> list[Threshold]:
    """Every light instant of the case and its stages as things stand (none while the clock is stopped)."""
    if not clock.known:
        return []
    found: list[Threshold] = []
    deadline = case_deadline(clock, calendar) if clock.kind != COMPLAINT else None
    if deadline is not None:
        prompt_day = _previous_working_day(deadline.date(), limits.prompt_lead_working_days, calendar)
        prompt_at = datetime.combine(prompt_day, calendar.office_hours[-1][1], tzinfo=calendar.tz)
        if clock.accepted_at is not None and prompt_at > clock.accepted_at:
            # a limit shorter than the lead gets no case prompt: its stages are prompted on their own
            found.append(Threshold(CASE_TARGET, PROMPT, prompt_at))
        found.append(Threshold(CASE_TARGET, YELLOW, deadline))
    for stage in clock.stages:
        due = stage_deadline(stage, clock.stops, calendar)
        if due is None:
            continue
        budget = stage_budget(stage, calendar)
        day = working_day_length(calendar)
        lead = day * limits.prompt_lead_working_days if budget > day else budget * limits.short_stage_prompt_share
        stage_prompt = spend(stage.opened_at, max(budget - lead, timedelta(0)), clock.stops, calendar)
        if stage_prompt is not None:
            found.append(Threshold(stage.task_id, PROMPT, stage_prompt, stage.post, stage.stage))
        found.append(Threshold(stage.task_id, YELLOW, due, stage.post, stage.stage))
    for urging in urgings:
        post = next((s.post for s in clock.stages if s.task_id == urging.target), "")
        found.append(Threshold(urging.target, RED, urging.deadline, post))
    return found


def lights_due(clock: CaseClock, calendar: WorkingCalendar, limits: Thresholds, now: datetime,
               urgings: Iterable[Urging] = (), found: list[Threshold] | None = None) -> list[Threshold]:
    """The lights a target has earned by ``now``: reached while it was still open.

    ``found``: the case's ``thresholds`` with these urgings, when the caller has them already.
    """
    ends = _ends(clock)
    urged = list(urgings)
    due: list[Threshold] = []
    for threshold in thresholds(clock, calendar, limits, urged) if found is None else found:
        end = ends.get(threshold.target)
        if threshold.at > now or (end is not None and end <= threshold.at):
            continue
        if threshold.level == RED and not is_overdue(clock, calendar, threshold.target, threshold.at, limits):
            continue
        due.append(threshold)
    return due


def next_light_at(clock: CaseClock, calendar: WorkingCalendar, limits: Thresholds,
                  raised: set[tuple[str, str]], urgings: Iterable[Urging] = (),
                  after: datetime | None = None, found: list[Threshold] | None = None) -> datetime | None:
    """The earliest light still to come (after ``after``) on an open target: when to look at this case again.

    ``found``: the case's ``thresholds`` with these urgings, when the caller has them already.
    """
    ends = _ends(clock)
    pending = [t.at for t in (thresholds(clock, calendar, limits, urgings) if found is None else found)
               if (t.target, t.level) not in raised and ends.get(t.target) is None
               and (after is None or t.at > after)]
    return min(pending, default=None)


def urging_deadline(now: datetime, calendar: WorkingCalendar, limits: Thresholds,
                    working_days: int | None = None) -> datetime:
    """Close of office on the n-th working day after the urging (the notice's own deadline)."""
    return calendar.deadline(now, limits.urging_working_days if working_days is None else working_days)


def is_overdue(clock: CaseClock, calendar: WorkingCalendar, target: str, now: datetime,
               limits: Thresholds) -> bool:
    """Whether a target had passed its deadline by ``now`` while open (or finished after it)."""
    yellow = next((t for t in thresholds(clock, calendar, limits) if t.target == target and t.level == YELLOW),
                  None)
    if yellow is None:
        return False
    ends = _ends(clock)
    end = ends.get(target)
    return yellow.at < (end if end is not None else now)


def _ends(clock: CaseClock) -> dict[str, datetime | None]:
    ends: dict[str, datetime | None] = {stage.task_id: stage.completed_at for stage in clock.stages}
    ends[CASE_TARGET] = clock.closed_at
    return ends


def _previous_working_day(day: date, n: int, calendar: WorkingCalendar) -> date:
    for _ in range(n):
        day -= timedelta(days=1)
        while not calendar.is_working_day(day):
            day -= timedelta(days=1)
    return day
