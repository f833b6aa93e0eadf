"""The public status of an application (seed 001's table), from its clock: personal data masked. Pure Python."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sunlight.calendar import WorkingCalendar
from sunlight.errors import NotFound
from supervision.domain.clocks import CaseClock, promised_date
from supervision.domain.lights import CASE_TARGET, Thresholds, is_overdue

NOT_FOUND = "no application matches this number and query code"


def mask_name(name: str) -> str:
    """杭州拱墅区知味观餐饮有限公司 → 杭************司; 张三 → 张*: what the public may see of a name."""
    if len(name) <= 2:
        return name[:1] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]


def public_status(clock: CaseClock, calendar: WorkingCalendar, limits: Thresholds,
                  now: datetime, delay_reasons: Mapping[str, str]) -> dict[str, Any]:
    """Item, received at, promised date, current stage, progress, delayed and why.

    Asked with the receipt's query code, checked first by the service (with intake); an unknown number
    and a wrong code get the same error, word for word, so the lookup reveals nothing."""
    if not clock.known:
        raise NotFound(NOT_FOUND, {"application_number": ["not found"]})
    late = [target for target in [CASE_TARGET, *(s.task_id for s in clock.stages)]
            if is_overdue(clock, calendar, target, now, limits)]
    open_stages = [s.stage for s in clock.stages if s.completed_at is None]
    promised = promised_date(clock, calendar)
    return {
        "application_number": clock.case_number,
        "item_name": clock.item_name,
        "applicant": mask_name(clock.applicant_name),
        "received_at": clock.accepted_at.isoformat() if clock.accepted_at else None,
        "promised_date": promised.isoformat() if promised else None,
        "current_stage": ("completed" if clock.closed_at else "returned for correction" if clock.stopped
                          else ", ".join(open_stages) or "accepted"),
        "outcome": clock.outcome,
        "progress": [{"stage": s.stage, "done": s.completed_at is not None} for s in clock.stages],
        "stopped_periods": [{"reason": stop.reason, "stopped_at": stop.stopped_at.isoformat(),
                             "resumed_at": stop.resumed_at.isoformat() if stop.resumed_at else None}
                            for stop in clock.stops],
        "delayed": bool(late),
        "delay_reason": "; ".join(delay_reasons[t] for t in late if t in delay_reasons),
    }
