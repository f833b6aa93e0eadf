"""Shared test helpers: a case opened on any shipped process, and a driver that approves everything."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sunlight.calendar import SHANGHAI, WorkingCalendar
from workflow import domain
from workflow.definitions import load_definitions
from workflow.process import Definition

CALENDAR = WorkingCalendar()
SHIPPED = load_definitions()
APPLICANT = {"name": "扬州市广陵区城建开发有限公司", "mobile": "13905271234"}
FORM = {"area_mu": 52.5, "works": "greening"}  # the longest route of every process


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def accepted(process: str, form: dict[str, Any] | None = None, tenant: str = "yz-land") -> dict[str, Any]:
    return {"application_number": "YZ-2026-000042", "item_code": "YZ-GD-0001", "item_name": "土地供应审批",
            "tenant": tenant, "process": process, "applicant": APPLICANT, "certificate_kind": "approval",
            "promised_date": date(2026, 12, 1), "form": FORM if form is None else form}


def accepted_message(number: str) -> dict[str, Any]:
    """intake's ``application.accepted`` message for a shop sign, as it arrives on the broker."""
    now = datetime.now(UTC).isoformat()
    return {"event_id": str(uuid.uuid4()), "event_type": "application.accepted", "schema_version": 1,
            "occurred_at": now, "source": "intake", "case_number": number,
            "payload": {"application_number": number, "item_code": "GS-CG-0202", "item_name": "户外招牌设置",
                        "tenant": "gs-city", "process": "shop-sign-approval",
                        "applicant": {"name": "张三", "mobile": "13905271234"}, "accepted_at": now,
                        "promised_date": "2026-12-31", "certificate_kind": "permit", "form": {"area_m2": 6.5}}}


def open_on(definition: Definition, form: dict[str, Any] | None = None,
            absent: frozenset[str] = frozenset()) -> domain.Decision:
    return domain.open_case(definition, accepted(definition.key, form), at(11, 2, 9), CALENDAR, absent)


def approve(definition: Definition, case: domain.Case, task: domain.Task, actor: str = "官员",
            decision: str = "approve", opinion: str = "同意") -> domain.Decision:
    return domain.complete_task(definition, case, task_id=task.task_id, post=task.post, actor=actor,
                                decision=decision, opinion=opinion, now=at(11, 3, 10), calendar=CALENDAR)


def finish(definition: Definition, case: domain.Case) -> domain.Case:
    """Approve every open task, first opened first, until the case closes."""
    for _ in range(200):
        if case.status != "open":
            return case
        case = approve(definition, case, case.open_tasks[0]).case
    raise AssertionError("case never closed")
