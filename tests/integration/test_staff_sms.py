"""Supervision's lights and urgings, and workflow's returns, reach people by SMS (log provider, real
processes): red and urged at any hour, prompts and yellow only in office hours, corrections to the
applicant with what to bring back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sunlight.calendar import WorkingCalendar
from sunlight.contracts import CASE_RETURNED, CASE_URGED, DEADLINE_RED, DEADLINE_YELLOW, new_event
from tests.integration.support import publish_raw, query
from tools.drive import wait_for
from tools.stack import Stack

pytestmark = pytest.mark.integration
POST = "gs-city/approval-section/reviewer"  # 陈承办, 13800002001 in services/notify/staff.yml
LIGHT = {"target": "GS-2026-970001.handle.1", "stage": "handle", "post": POST, "tenant": "gs-city",
         "item_code": "GS-CG-0201"}


def texts(stack: Stack, case_number: str, template: str) -> list[Any]:
    return query(stack, "notify", "SELECT recipient, text, status, not_before FROM messages "
                 "WHERE case_number = :n AND template = :t", n=case_number, t=template)


def instant(value: Any) -> datetime | None:
    """A timestamp read with plain SQL: a string on SQLite, a naive UTC datetime on PostgreSQL."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_a_red_light_and_an_urging_reach_the_post_holder_at_any_hour(stack: Stack) -> None:
    now = datetime.now(UTC)
    red = new_event(DEADLINE_RED, "GS-2026-970001", {**LIGHT, "due_at": now - timedelta(days=2),
                                                    "urging_deadline": now - timedelta(hours=1)}, now)
    urged = new_event(CASE_URGED, "GS-2026-970001", {**LIGHT, "urged_by": "gs-city/supervision/supervisor",
                                                     "deadline": now + timedelta(days=1), "note": "请今日办结"}, now)
    publish_raw(stack, "supervision", DEADLINE_RED, red.to_message())
    publish_raw(stack, "supervision", CASE_URGED, urged.to_message())

    [sms] = wait_for(lambda: [m for m in texts(stack, "GS-2026-970001", "deadline_red") if m.status == "sent"] or None,
                     timeout=20, what="the red-light SMS")
    assert sms.recipient == "13800002001" and sms.text.startswith("【拱墅区城市管理局】【红灯】陈承办")
    [order] = wait_for(lambda: [m for m in texts(stack, "GS-2026-970001", "case_urged") if m.status == "sent"] or None,
                       timeout=20, what="the urging SMS")
    assert "请今日办结" in order.text and "gs-city/supervision/supervisor" in order.text


def test_a_yellow_light_waits_for_office_hours(stack: Stack) -> None:
    now = datetime.now(UTC)
    yellow = new_event(DEADLINE_YELLOW, "GS-2026-970002", {**LIGHT, "target": "GS-2026-970002.handle.1",
                                                          "due_at": now - timedelta(hours=1)}, now)
    publish_raw(stack, "supervision", DEADLINE_YELLOW, yellow.to_message())

    [sms] = wait_for(lambda: texts(stack, "GS-2026-970002", "deadline_yellow") or None, timeout=20,
                     what="the yellow-light SMS to be stored")
    calendar = WorkingCalendar.default()
    sent_at_once = calendar.working_time_between(now, now + timedelta(minutes=1)) > timedelta(0)
    not_before = instant(sms.not_before)
    if sent_at_once:  # the test runs in office hours
        assert not_before is None or not_before <= now + timedelta(minutes=1)
    else:
        assert sms.status != "sent" and not_before is not None and not_before > now
        assert calendar.working_time_between(not_before, not_before + timedelta(minutes=1)) > timedelta(0)


def test_a_case_returned_for_correction_tells_the_applicant_what_to_bring(stack: Stack) -> None:
    now = datetime.now(UTC)
    returned = new_event(CASE_RETURNED, "GS-2026-970003", {
        "task_id": "GS-2026-970003.handle.1", "stage": "handle", "post": POST, "actor": "陈承办",
        "missing": ["design-drawing"], "reason": "效果图缺尺寸标注",
        "applicant": {"name": "王芳", "mobile": "13805710009"},
    }, now)
    publish_raw(stack, "workflow", CASE_RETURNED, returned.to_message())

    [sms] = wait_for(lambda: [m for m in texts(stack, "GS-2026-970003", "correction_needed") if m.status == "sent"]
                     or None, timeout=20, what="the correction SMS")
    assert sms.recipient == "13805710009"
    assert "design-drawing" in sms.text and "效果图缺尺寸标注" in sms.text and "GS-2026-970003" in sms.text
