"""Supervision's reports through real processes: statistics and their CSV export from driven cases."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import datetime
from typing import Any

import pytest

from sunlight.calendar import SHANGHAI
from sunlight.errors import Conflict, Forbidden, NotFound, ValidationFailed
from supervision.service import SupervisionService
from tests.integration.support import publish_raw, query
from tools.drive import drive_one, sample_application, wait_for
from tools.stack import Stack

pytestmark = pytest.mark.integration


def test_statistics_count_a_driven_case_per_post_item_and_tenant_and_export_csv(stack: Stack, rpc: Any) -> None:
    done = drive_one(rpc, sample_application(5))
    code = done.receipt["query_code"]
    wait_for(lambda: rpc.supervision.public_status(done.number, code)["current_stage"] == "completed" or None,
             timeout=20, what="supervision to see the case completed")
    rpc.supervision.rate_case({"application_number": done.number, "query_code": code, "level": 4})

    rows = rpc.supervision.statistics({})
    tenants = [r for r in rows if r["dimension"] == "tenant"]
    assert tenants and all(r["cases_handled"] >= 1 for r in tenants)
    posts = [r for r in rows if r["dimension"] == "post"]
    assert posts and all(r["grade"] in {"优秀", "良好", "合格", "不合格"} for r in posts)
    assert any(r["ratings"]["count"] >= 1 for r in posts)
    assert all(t["p90_hours"] >= 0 for r in rows for t in r["stages"].values())
    assert rpc.supervision.statistics({"tenant": "no-such-tenant"}) == []

    today = datetime.now(SHANGHAI).date()
    this_quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    table = list(csv.reader(io.StringIO(rpc.supervision.statistics_csv({"quarter": this_quarter}))))
    assert table[0][0] == "维度" and len(table) > 1


REVIEWER = "gs-city/approval-section/reviewer"
LEADER = "gs-city/approval-section/leader"
APPLICANT = {"name": "杭州拱墅区知味观餐饮有限公司", "mobile": "13957112345"}


def envelope(kind: str, case: str, source: str, minute: int, payload: dict[str, Any]) -> dict[str, Any]:
    when = datetime(2026, 11, 2, 9, minute, tzinfo=SHANGHAI).isoformat()
    return {"event_id": str(uuid.uuid4()), "event_type": kind, "schema_version": 1, "occurred_at": when,
            "source": source, "case_number": case, "payload": payload}


def test_violations_are_raised_once_with_their_audit_evidence(stack: Stack, rpc: Any) -> None:
    case = f"GS-2026-8{uuid.uuid4().int % 100000:05d}"
    task = f"{case}.review.1"
    created = envelope("task.created", case, "workflow", 1, {
        "task_id": task, "stage": "review", "post": REVIEWER, "due_at": at_hour(4, 17)})
    decided = envelope("task.completed", case, "workflow", 2, {
        "task_id": task, "stage": "review", "post": LEADER, "actor": "leader-1", "decision": "approve"})
    publish_raw(stack, "workflow", "task.created", created)
    publish_raw(stack, "workflow", "task.completed", decided)
    publish_raw(stack, "workflow", "task.completed", decided)  # a duplicate raises nothing more
    refused_number = f"GS-2026-7{uuid.uuid4().int % 100000:05d}"
    publish_raw(stack, "intake", "application.refused", envelope("application.refused", refused_number, "intake", 3, {
        "application_number": refused_number, "item_code": "GS-CG-0201", "item_name": "户外招牌设置审批",
        "tenant": "gs-city", "applicant": APPLICANT, "reason_code": " ", "reason": " ", "reason_text": " ",
        "clerk_id": "clerk-1", "channel": "window", "refused_at": at_hour(2, 9)}))

    def mine() -> list[dict[str, Any]] | None:
        found = [v for v in rpc.supervision.violations({"tenant": "gs-city"})
                 if v["case_number"] in {case, refused_number}]
        return found if len(found) == 2 else None

    found = {v["kind"]: v for v in wait_for(mine, timeout=20, what="two violations")}
    seqs = {row.event_type: row.seq for row in query(
        stack, "supervision", "SELECT seq, event_type FROM audit_log WHERE case_number = :n", n=case)}
    assert found["unassigned-post"]["evidence"] == [seqs["task.created"], seqs["task.completed"]]
    assert found["refusal-without-reason"]["case_number"] == refused_number
    assert "violation.raised" in seqs
    assert len(rpc.supervision.violations({})) >= 2
    assert rpc.supervision.violations({"tenant": "no-such-tenant"}) == []


def at_hour(day: int, hour: int) -> str:
    return datetime(2026, 11, day, hour, tzinfo=SHANGHAI).isoformat()


def test_a_complaint_is_numbered_routed_lit_and_resolved_once_by_its_handler(stack: Stack, rpc: Any) -> None:
    with pytest.raises(ValidationFailed) as bad:
        rpc.supervision.file_complaint({"tenant": "gs-city", "complainant": {"name": "王芳", "mobile": "123"},
                                        "subject": "窗口", "text": "窗口人员态度差"})
    assert "complainant" in bad.value.fields
    filed = rpc.supervision.file_complaint({
        "tenant": "gs-city", "complainant": {"name": "王芳", "mobile": "13957112345"},
        "subject": "招牌审批拖延", "text": "申请两周无回音", "case_number": "GS-2026-000001"})
    assert re.fullmatch(r"[A-Z]+-XF-\d{4}-\d{6}", filed["number"])
    assert filed["handler_post"] == "gs-city/petition-office/handler"
    [listed] = [c for c in rpc.supervision.complaints({"tenant": "gs-city"}) if c["number"] == filed["number"]]
    assert listed["light"] in {"green", "prompt"} and listed["complainant"]["mobile"] == "139****2345"

    with pytest.raises(Forbidden):
        rpc.supervision.resolve_complaint({"number": filed["number"], "post": REVIEWER, "answer": "已处理"})
    done = rpc.supervision.resolve_complaint({"number": filed["number"], "post": filed["handler_post"],
                                              "answer": "已督促承办科室三日内办结"})
    assert done["late"] is False
    with pytest.raises(Conflict, match="already resolved"):
        rpc.supervision.resolve_complaint({"number": filed["number"], "post": filed["handler_post"],
                                           "answer": "again"})
    trail = [e["event_type"] for e in rpc.supervision.case_audit_trail(filed["number"])]
    assert [t for t in trail if t.startswith("complaint.")] == ["complaint.filed", "complaint.resolved"]
    second = rpc.supervision.file_complaint({"tenant": "gs-city", "complainant": {"name": "李强", "mobile":
                                             "13800001111"}, "subject": "收费", "text": "多收费用"})
    assert int(second["number"][-6:]) == int(filed["number"][-6:]) + 1


INSPECTOR_RPCS = sorted(["inspect_cases", "inspect_case_trail", "inspect_violations", "inspect_statistics"])


def test_the_inspector_sees_every_tenant_and_changes_nothing(stack: Stack, rpc: Any) -> None:
    done = drive_one(rpc, sample_application(6))
    wait_for(lambda: any(c["case_number"] == done.number and c["state"] == "closed"
                         for c in rpc.supervision.inspect_cases()) or None, timeout=20, what="the closed case")
    tables = [row.name for row in query(stack, "supervision", "SELECT name FROM sqlite_master WHERE type='table'")] \
        if stack.db_uris["supervision"].startswith("sqlite") else [row.tablename for row in query(
            stack, "supervision", "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]

    def snapshot() -> dict[str, Any]:
        return {table: query(stack, "supervision", f'SELECT * FROM "{table}"') for table in tables}  # noqa: S608

    before = snapshot()
    # every inspector RPC, mixed-in ones too, is called below: a new one must be added here, so proved read-only
    assert sorted(name for name in dir(SupervisionService) if name.startswith("inspect_")) == INSPECTOR_RPCS
    trail = rpc.supervision.inspect_case_trail(done.number)
    # the trail is in the order supervision received the events: intake's acceptance and workflow's
    # case.opened come from two services, so either may be first
    assert [r["seq"] for r in trail] == sorted(r["seq"] for r in trail)
    accepted = next(r for r in trail if r["event_type"] == "application.accepted")
    assert accepted["payload"]["tenant"]
    assert {c["tenant"] for c in rpc.supervision.inspect_cases()} >= {accepted["payload"]["tenant"]}
    rpc.supervision.inspect_violations()
    rpc.supervision.inspect_statistics()
    with pytest.raises(NotFound):
        rpc.supervision.inspect_case_trail("GS-0000-000000")
    assert snapshot() == before  # every row of every table, byte for byte


def test_a_fee_charged_that_the_catalogue_did_not_list_is_a_violation(stack: Stack, rpc: Any) -> None:
    """Registry refuses such a payment at its own door; the auditor still catches one that got past it."""
    case = f"HZ-2026-8{uuid.uuid4().int % 100000:05d}"
    publish_raw(stack, "intake", "application.accepted", envelope("application.accepted", case, "intake", 1, {
        "application_number": case, "item_code": "HZ-DJ-0101", "item_name": "国有建设用地使用权首次登记",
        "tenant": "hz-land", "process": "fast-track-registration", "applicant": APPLICANT,
        "accepted_at": at_hour(2, 9), "promised_date": "2026-11-03", "certificate_kind": "title",
        "fees_due": [{"code": "registration-fee", "name": "不动产登记费（非住宅）", "amount_fen": 55000,
                      "basis": "-"}]}))
    publish_raw(stack, "registry", "payment.recorded", envelope("payment.recorded", case, "registry", 2, {
        "payment_id": 99, "fee_code": "express-fee", "amount_fen": 2000, "tenant": "hz-land",
        "paid_at": at_hour(2, 10), "all_paid": False}))

    [found] = wait_for(lambda: [v for v in rpc.supervision.violations({"tenant": "hz-land"})
                                if v["case_number"] == case] or None, timeout=20, what="the unlisted-fee violation")
    assert found["kind"] == "unlisted-fee" and "express-fee" in found["detail"]
