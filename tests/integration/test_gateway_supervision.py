"""The window, the supervision office, complainants and discipline inspection over HTTP, through real
processes: a fee paid at the window, an overdue stage on the board explained by its post and urged by the
supervisor, statistics as JSON and CSV, a complaint followed with its query code, the inspector's read-only
view across tenants, and Prometheus on the web port."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.integration.test_gateway import http, sign_in
from tests.integration.test_gateway import stack as stack  # noqa: F401 - its stack: every service, demo users
from tests.integration.test_supervision_lights import open_overdue_case
from tools.drive import sample_application, wait_for
from tools.stack import Stack

pytestmark = pytest.mark.integration
REVIEWER = "gs-city/approval-section/reviewer"


def raw(stack: Stack, path: str, headers: dict[str, str]) -> tuple[int, str, str]:
    """Status, content type and text of an answer that need not be JSON (CSV, Prometheus)."""
    request = urllib.request.Request(f"{stack.web_url}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def lit(stack: Stack, user: str, query: str = "") -> list[dict[str, Any]]:
    status, lights = http(stack, "GET", f"/api/supervision/lights{query}", headers=sign_in(stack, user))
    assert status == 200, lights
    return list(lights)


def test_a_fee_is_recorded_at_the_window_of_the_cases_own_bureau(stack: Stack) -> None:
    status, receipt = http(stack, "POST", "/api/applications", sample_application(20, item_code="HZ-DJ-0101"))
    assert status == 201, receipt
    number = receipt["application_number"]
    window = sign_in(stack, "hz-window")
    fee = {"fee_code": "registration-fee", "amount_fen": 55000}
    paid = wait_for(lambda: (lambda r: r if r[0] == 201 else None)(
        http(stack, "POST", f"/api/cases/{number}/payments", fee, headers=window)),
        timeout=20, what="the registry to know the case")
    assert paid[1]["fee_code"] == "registration-fee" and paid[1]["clerk"] == "hz-window"
    assert http(stack, "POST", f"/api/cases/{number}/payments", fee, headers=sign_in(stack, "gs-clerk"))[0] == 403
    status, body = http(stack, "POST", f"/api/cases/{number}/payments", {"fee_code": "registration-fee",
                                                                         "amount_fen": "lots"}, headers=window)
    assert status == 422 and "amount_fen" in body["fields"]


def test_an_overdue_stage_is_on_the_board_explained_by_its_post_and_urged_by_the_supervisor(stack: Stack) -> None:
    case, task = open_overdue_case(stack)
    wait_for(lambda: any(x["case_number"] == case and x["level"] == "yellow" for x in lit(stack, "gs-supervisor"))
             or None, timeout=20, what="the yellow light on the board")
    [light] = [x for x in lit(stack, "gs-supervisor", "?colour=yellow") if x["case_number"] == case]
    assert light["target"] == task and light["post"] == REVIEWER and light["tenant"] == "gs-city"
    assert any(x["case_number"] == case for x in lit(stack, "gs-leader", "?department=approval-section"))
    assert not any(x["case_number"] == case for x in lit(stack, "gs-supervisor", "?department=leadership"))
    assert not any(x["case_number"] == case for x in lit(stack, "gs-supervisor", "?colour=red"))
    assert http(stack, "GET", "/api/supervision/lights?colour=purple",
                headers=sign_in(stack, "gs-supervisor"))[1]["fields"] == {"colour": ["Must be one of: prompt, "
                                                                                     "yellow, red."]}

    reason = {"post": REVIEWER, "target": task, "reason": "申请人补正材料，现场踏勘延后"}
    assert http(stack, "POST", f"/api/cases/{case}/delay-reasons", reason, headers=sign_in(stack, "hz-reviewer"))[0] \
        == 403
    reviewer = sign_in(stack, "gs-reviewer")
    status, given = http(stack, "POST", f"/api/cases/{case}/delay-reasons", reason, headers=reviewer)
    assert status == 201 and given["reason"] == reason["reason"]
    assert http(stack, "POST", f"/api/cases/{case}/delay-reasons", reason, headers=reviewer)[0] == 409  # once

    urging = {"target": task, "working_days": 2, "note": "请于两个工作日内办结"}
    inspector = sign_in(stack, "inspector")
    assert http(stack, "POST", f"/api/cases/{case}/urgings", urging, headers=inspector)[0] == 403
    status, urged = http(stack, "POST", f"/api/cases/{case}/urgings", urging, headers=sign_in(stack, "gs-supervisor"))
    assert status == 201 and urged["target"] == task and urged["deadline"]

    def trail() -> list[str] | None:
        got, records = http(stack, "GET", f"/api/inspection/cases/{case}/trail", headers=inspector)
        kinds = [r["event_type"] for r in records] if got == 200 else []
        return kinds if "case.urged" in kinds else None

    assert wait_for(trail, timeout=20, what="the urging in the audit trail")[:1] == ["task.created"]
    assert any(x["case_number"] == case for x in lit(stack, "inspector", "?tenant=gs-city"))
    status, everywhere = http(stack, "GET", "/api/inspection/lights?colour=yellow", headers=inspector)
    assert status == 200 and any(x["case_number"] == case for x in everywhere)


def test_statistics_come_as_json_or_csv_for_the_own_tenant_only(stack: Stack) -> None:
    supervisor = sign_in(stack, "gs-supervisor")
    status, rows = http(stack, "GET", "/api/supervision/stats", headers=supervisor)
    assert status == 200 and {r["tenant"] for r in rows} <= {"gs-city"}
    for path, accept in (("/api/supervision/stats?format=csv", "*/*"), ("/api/supervision/stats", "text/csv")):
        status, kind, text = raw(stack, path, {**supervisor, "Accept": accept})
        assert status == 200 and kind.startswith("text/csv") and text.startswith("维度,对象,租户")
    assert http(stack, "GET", "/api/supervision/stats?tenant=hz-land", headers=supervisor)[0] == 403
    status, body = http(stack, "GET", "/api/supervision/stats?quarter=2026Q5", headers=supervisor)
    assert status == 422 and "quarter" in body["fields"]
    assert http(stack, "GET", "/api/supervision/stats?tenant=hz-land", headers=sign_in(stack, "inspector"))[0] == 200


def test_violations_are_read_by_the_own_tenants_supervisor_each_marked_withdrawn_or_not(stack: Stack) -> None:
    supervisor = sign_in(stack, "gs-supervisor")
    status, rows = http(stack, "GET", "/api/supervision/violations", headers=supervisor)
    assert status == 200 and {r["tenant"] for r in rows} <= {"gs-city"}
    assert all(isinstance(r["withdrawn"], bool) and "withdrawal_evidence" in r for r in rows)
    assert http(stack, "GET", "/api/supervision/violations?tenant=hz-land", headers=supervisor)[0] == 403
    inspector = sign_in(stack, "inspector")
    assert http(stack, "GET", "/api/supervision/violations?tenant=hz-land", headers=inspector)[0] == 200


def test_a_complaint_is_filed_online_and_followed_with_its_query_code_masked(stack: Stack) -> None:
    complaint = {"tenant": "gs-city", "complainant": {"name": "王芳", "mobile": "13957112345"},
                 "subject": "招牌审批拖延", "text": "申请两周无回音 <script>alert(1)</script>"}
    status, filed = http(stack, "POST", "/api/complaints", complaint)
    assert status == 201 and filed["number"].startswith("GS-XF-") and len(filed["query_code"]) == 6
    status, seen = http(stack, "GET", f"/api/complaints/{filed['number']}?code={filed['query_code']}")
    assert status == 200 and seen["subject"] == "招牌审批拖延" and seen["light"] in {"green", "prompt"}
    assert seen["complainant"] == {"name": "王*", "mobile": "139****2345"} and seen["answer"] is None
    assert "13957112345" not in json.dumps(seen) and "王芳" not in json.dumps(seen, ensure_ascii=False)
    wrong = "000000" if filed["query_code"] != "000000" else "111111"
    assert http(stack, "GET", f"/api/complaints/{filed['number']}?code={wrong}")[0] == 404
    assert http(stack, "GET", f"/api/complaints/{filed['number']}")[0] == 422
    bad_mobile = {**complaint, "complainant": {"name": "王芳", "mobile": "123"}}
    status, body = http(stack, "POST", "/api/complaints", bad_mobile)
    assert status == 422 and list(body["fields"]) == ["complainant.mobile"]
    status, body = http(stack, "POST", "/api/complaints", {**complaint, "tenant": "no-such-bureau"})
    assert status == 422 and list(body["fields"]) == ["tenant"]
    assert http(stack, "POST", "/api/complaints", complaint, headers=sign_in(stack, "inspector"))[0] == 403


def test_the_inspector_reads_every_tenant_and_the_chain_verifies(stack: Stack) -> None:
    inspector = sign_in(stack, "inspector")
    status, receipt = http(stack, "POST", "/api/applications", sample_application(21, item_code="HZ-DJ-0101"))
    assert status == 201
    wait_for(lambda: any(c["case_number"] == receipt["application_number"] for c in
                         http(stack, "GET", "/api/inspection/cases", headers=inspector)[1]) or None,
             timeout=20, what="the case among the inspected")
    status, chain = http(stack, "GET", "/api/inspection/chain", headers=inspector)
    assert status == 200 and chain["ok"] is True and chain["records"] > 0
    for path in ("/api/inspection/violations", "/api/inspection/statistics"):
        status, rows = http(stack, "GET", path, headers=inspector)
        assert status == 200 and isinstance(rows, list)
    assert http(stack, "GET", "/api/inspection/chain", headers=sign_in(stack, "gs-supervisor"))[0] == 403


def test_prometheus_reads_the_gateway_on_its_web_port_too(stack: Stack) -> None:
    http(stack, "GET", "/api/items")
    status, kind, text = raw(stack, "/metrics", {})
    assert status == 200 and kind.startswith("text/plain") and "sunlight_entrypoint_calls_total" in text
