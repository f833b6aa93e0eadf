"""A complaint (信访) through real processes: accepted with an SMS to the complainant, left unanswered until it
lights yellow, urged by the supervising post, red when the urging deadline passes, answered with a second
SMS; the handler post is texted at each light; statistics count it apart and survive a rebuild from the log.

Supervision is restarted with ``CLOCK_OFFSET_SECONDS`` to live days ahead (its tick then catches up, as after
an outage); every other service keeps the real time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.support import query
from tools.drive import wait_for
from tools.stack import Stack

pytestmark = pytest.mark.integration

HANDLER = "gs-city/petition-office/handler"
SUPERVISOR = "gs-city/supervision-office/supervisor"
COMPLAINANT = {"name": "王芳", "mobile": "13957112345"}
DAY = 24 * 3600
SETTINGS = {"EVENT_RETRY_DELAY_MS": "100", "LOG_FORMAT": "json"}


def restart_supervision(stack: Stack, offset_days: int) -> None:
    """Supervision as if ``offset_days`` had passed (its lights fall due; the other services keep real time)."""
    stack.stop("supervision")
    stack.start("supervision", {**SETTINGS, "CLOCK_OFFSET_SECONDS": str(offset_days * DAY)})
    stack.wait_healthy()


@pytest.fixture
def supervision_restored(stack: Stack) -> Iterator[None]:
    yield
    restart_supervision(stack, 0)


def levels(rpc: Any, number: str) -> set[tuple[str, str]]:
    return {(light["target"], light["level"]) for light in rpc.supervision.case_supervision(number)["lights"]}


def texts(rpc: Any, number: str) -> dict[str, dict[str, Any]]:
    """The SMS about the complaint, by template (notify's own record)."""
    return {message["template"]: message for message in rpc.notify.messages_for_case(number)}


def test_an_unanswered_complaint_goes_yellow_then_red_and_both_sides_are_texted(
        stack: Stack, rpc: Any, supervision_restored: None) -> None:
    filed = rpc.supervision.file_complaint({"tenant": "gs-city", "complainant": COMPLAINANT,
                                            "subject": "招牌审批拖延", "text": "申请两周无回音"})
    number = filed["number"]
    accepted = wait_for(lambda: texts(rpc, number).get("complaint_accepted"), timeout=20, what="the acceptance SMS")
    assert number in accepted["text"] and accepted["recipient"] == "139****2345"
    assert levels(rpc, number) == set()

    restart_supervision(stack, 8)  # past the three working days (no holiday in December 2026)
    wait_for(lambda: ("handling", "yellow") in levels(rpc, number) or None, timeout=30, what="the yellow light")
    assert levels(rpc, number) == {("handling", "prompt"), ("handling", "yellow")}
    lit = wait_for(lambda: texts(rpc, number).get("deadline_yellow"), timeout=20, what="the handler's yellow SMS")
    assert lit["recipient"] == "138****2021" and "信访件办理" in lit["text"]  # held until office hours if need be

    urged = rpc.supervision.urge({"case_number": number, "urged_by": SUPERVISOR, "note": "请今日答复"})
    assert urged["target"] == "handling"
    restart_supervision(stack, 12)  # past the urging's one working day
    wait_for(lambda: ("handling", "red") in levels(rpc, number) or None, timeout=30, what="the red light")
    for template in ("case_urged", "deadline_red"):  # these go to the handler at any hour
        sent = wait_for(lambda t=template: (texts(rpc, number).get(t) or {}).get("status") == "sent" or None,
                        timeout=20, what=f"the handler's {template} SMS sent")
        assert sent
        assert texts(rpc, number)[template]["recipient"] == "138****2021"

    [listed] = [c for c in rpc.supervision.complaints({"tenant": "gs-city"}) if c["number"] == number]
    assert listed["light"] == "red"

    done = rpc.supervision.resolve_complaint({"number": number, "post": HANDLER, "answer": "已督促承办科室办结"})
    assert done["late"] is True
    answered = wait_for(lambda: texts(rpc, number).get("complaint_answered"), timeout=20, what="the answer SMS")
    assert answered["recipient"] == "139****2345" and number in answered["text"]
    trail = [row.event_type for row in query(
        stack, "supervision", "SELECT event_type FROM audit_log WHERE case_number = :n ORDER BY seq", n=number)]
    assert trail[0] == "complaint.filed" and "sms.sent" in trail  # notify's SMS are audited with the number
    assert [t for t in trail if t.startswith(("complaint.", "deadline.", "case."))] == [
        "complaint.filed", "deadline.prompted", "deadline.yellow", "case.urged", "deadline.red", "complaint.resolved"]

    figures = rpc.supervision.statistics({"tenant": "gs-city"})
    [office] = [r for r in figures if (r["kind"], r["dimension"], r["key"]) == ("complaint", "department",
                                                                                 "petition-office")]
    assert office["cases_handled"] == 1 and office["on_time_rate"] == 0.0
    assert office["lights"] == {"prompt": 1, "yellow": 1, "red": 1}
    assert office["stages"]["complaint-handling"]["p90_hours"] > 0
    assert "信访" in rpc.supervision.statistics_csv({"tenant": "gs-city"})

    assert rpc.supervision.rebuild_summaries()["rebuilt"] >= 1
    assert rpc.supervision.statistics({"tenant": "gs-city"}) == figures
    assert rpc.supervision.verify_audit_chain()["ok"] is True
