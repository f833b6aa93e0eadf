"""Complaints and petitions (信访): numbered, routed to a handler post with a deadline in working days, lit like
cases (prompt one working day before the deadline, yellow once overdue, red after a missed urging), resolved
with an answer. Pure Python.

Routing: a complaint goes to the tenant's letters-and-visits office (``<tenant>/petition-office/handler``);
the deadline is three working days by default (seed 001: handling cut from a week to 2–3 days), or what the
tenant's thresholds set (``complaint_working_days``). The prompt, yellow and red lights themselves come from
``lights``, through the complaint's clock; ``standing`` sums up the lights raised for the complaints list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sunlight.calendar import WorkingCalendar
from sunlight.errors import Conflict, Forbidden

COMPLAINT_WORKING_DAYS = 3
HANDLER_ROLE = "petition-office/handler"


@dataclass(frozen=True)
class Complaint:
    number: str
    tenant: str
    handler_post: str
    filed_at: datetime
    deadline: datetime
    resolved_at: datetime | None = None


def complaint_number(prefix: str, year: int, sequence: int) -> str:
    """GS-XF-2026-000001: the tenant's prefix, 信访 (XF), the year and a gap-free sequence."""
    return f"{prefix}-XF-{year}-{sequence:06d}"


def handler_post(tenant: str) -> str:
    return f"{tenant}/{HANDLER_ROLE}"


def file(number: str, tenant: str, now: datetime, calendar: WorkingCalendar,
         working_days: int = COMPLAINT_WORKING_DAYS) -> Complaint:
    """A complaint filed now, routed and given its deadline: close of office on the n-th working day after."""
    if working_days < 1:
        raise ValueError(f"complaint_working_days must be at least 1, not {working_days}")
    return Complaint(number, tenant, handler_post(tenant), now, calendar.deadline(now, working_days))


def standing(raised: Iterable[str], resolved: bool) -> str:
    """Where a complaint stands from the lights raised on it: ``red``, ``yellow`` (late stays late), ``done``,
    ``prompt`` or ``green``."""
    levels = set(raised)
    for level in ("red", "yellow"):
        if level in levels:
            return level
    if resolved:
        return "done"
    return "prompt" if "prompt" in levels else "green"


def is_late(complaint: Complaint) -> bool:
    """Whether it was answered after its deadline."""
    return complaint.resolved_at is not None and complaint.resolved_at > complaint.deadline


def resolve(complaint: Complaint, post: str, now: datetime) -> Complaint:
    """Only the handler post answers a complaint, once."""
    if complaint.resolved_at is not None:
        raise Conflict(f"complaint {complaint.number} is already resolved", {"number": ["resolved once"]})
    if post != complaint.handler_post:
        raise Forbidden(f"complaint {complaint.number} is handled by {complaint.handler_post}",
                       {"post": ["not the handler of this complaint"]})
    return Complaint(complaint.number, complaint.tenant, complaint.handler_post, complaint.filed_at,
                     complaint.deadline, now)
