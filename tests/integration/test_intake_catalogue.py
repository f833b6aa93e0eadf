"""Every item of the shipped catalogue is received once at the window, over real RabbitMQ and real processes.

The application is built from what the public catalogue says the item needs (``get_item``), so an item
whose catalogue entry and acceptance rules disagree fails here. Supervision's audit log must show each
acceptance, and a refusal filed at the window. Workflow only knows ``handle-approve`` until its own
issue lands, so cases are not asserted here for the other process keys.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sunlight.querycodes import code_digest
from sunlight.seals import unseal
from tests.integration.support import query
from tools.drive import credit_code, digest, wait_for
from tools.stack import Stack, running_stack

pytestmark = pytest.mark.integration

# Yangzhou's land supply promises 30 working days, which from late in a year ends in the next one; the
# package knows years up to 2026, so the stack gets next year the way an administrator would add it
# (CALENDAR_OVERRIDES). A test schedule, not the State Council's: weekends and New Year's Day off.
NEXT_YEAR_FOR_TESTS = """
years:
  2027:
    complete: true
    holidays: [2027-01-01]
"""


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The five services, as in conftest, with next year's working days loaded by an administrator."""
    run_dir: Path = tmp_path_factory.mktemp(f"intake-{request.param}")
    overrides = run_dir / "calendar-overrides.yml"
    overrides.write_text(NEXT_YEAR_FOR_TESTS, encoding="utf-8")
    env = {"EVENT_RETRY_DELAY_MS": "100", "CALENDAR_OVERRIDES": str(overrides)}
    with running_stack(run_dir, backend=request.param, extra_env=env) as running:
        yield running

SAMPLE_VALUES = {"text": "拱墅区大关路100号", "integer": 30, "number": 12.5, "boolean": True,
                 "plates": ["浙A12345", "浙AD12345"],
                 "parcel": {"code": "330106001001GB00088", "location": "杭州市西湖区三墩镇振华路以北",
                            "area_m2": 26666.7, "land_use": "工业用地", "right_type": "granted", "term_years": 50}}


def application_for(item: dict[str, Any], index: int) -> dict[str, Any]:
    """A complete application for ``item``, filled in from its public catalogue page."""
    form = {f["name"]: (f["choices"][0] if f["type"] == "choice" else SAMPLE_VALUES[f["type"]])
            for f in item["form"]}
    return {
        "item_code": item["code"],
        "applicant": {"name": "杭州远景智造有限公司", "kind": "company",
                      "id_number": credit_code(f"91330106MA2H{index:05d}"), "mobile": f"139571{index:05d}"},
        "materials": {m["code"]: digest(f"{item['code']}/{m['code']}") for m in item["materials"]},
        "form": form,
        "tenant": item["tenant"],
        "channel": "counter",
        "clerk_id": "window-01",
        "idempotency_key": f"integration-{item['code']}",
    }


def audit_types(stack: Stack, number: str) -> list[str]:
    rows = query(stack, "supervision", "SELECT event_type FROM audit_log WHERE case_number = :n ORDER BY seq",
                 n=number)
    return [row.event_type for row in rows]


def test_every_shipped_item_is_received_once_and_audited(stack: Stack, rpc: Any) -> None:
    items = [rpc.intake.get_item(summary["code"]) for summary in rpc.intake.list_items()]
    assert len(items) == 11
    receipts = {item["code"]: rpc.intake.submit_application(application_for(item, n))
                for n, item in enumerate(items)}

    for item in items:
        receipt = receipts[item["code"]]
        number = receipt["application_number"]
        assert receipt["item_code"] == item["code"] and receipt["case_number"] == number
        assert {f["code"] for f in receipt["fees_due"]} <= {f["code"] for f in item["fees"]}
        assert rpc.intake.get_application(number)["query_code"] == receipt["query_code"]
        assert rpc.intake.submit_application(application_for(item, 0))["application_number"] == number  # same key
        wait_for(lambda n=number: "application.accepted" in audit_types(stack, n) or None,
                 timeout=30, what=f"the audit of {number}")
        # and workflow opened the case on the item's own process, with a first task for a post
        case = wait_for(lambda n=number: rpc.workflow.get_case(n), timeout=30, what=f"the case {number}")
        assert case["status"] == "open" and case["definition_key"] == item["process"], number
        assert any(t["status"] == "open" for t in case["tasks"]), number

    prefixes = {receipts[code]["application_number"].split("-")[0] for code in receipts}
    assert prefixes == {"HZ", "YZ", "GS", "JX"}
    assert query(stack, "intake", "SELECT count(*) FROM applications")[0][0] >= len(items)
    assert [f["amount_fen"] for f in receipts["HZ-DJ-0201"]["fees_due"]] == [8000]  # housing mortgage
    assert [f["amount_fen"] for f in receipts["HZ-DJ-0101"]["fees_due"]] == [55000]
    assert receipts["GS-CG-0301"]["fees_due"] == []
    shop = receipts["GS-CG-0301"]
    [(body,)] = query(stack, "supervision", "SELECT body FROM audit_log WHERE case_number = :n AND event_type = :t",
                      n=shop["application_number"], t="application.accepted")
    # the trail, which inspectors read, keeps intake's digest of the query code, never the code itself
    assert shop["query_code"] not in body
    digest = code_digest(stack.query_code_key.encode(), shop["application_number"], shop["query_code"])
    assert json.loads(body)["payload"]["query_code_digest"] == digest
    # on the broker, which every queue bound to intake's events (and a dead-letter queue) gets, the code went
    # sealed for notify: intake's outbox holds each event as it was published
    [(published,)] = query(stack, "intake", "SELECT body FROM outbox WHERE event_type = 'application.accepted' "
                           "AND body LIKE :n", n=f'%"{shop["application_number"]}"%')
    payload = json.loads(published)["payload"]
    sealed = payload.pop("sealed_query_code")
    assert "query_code" not in payload and shop["query_code"] not in json.dumps(payload)
    assert unseal(stack.query_code_seal_key.encode(), shop["application_number"], sealed) == shop["query_code"]
    # the applicant is texted the code; staff reading the case's messages see it masked, and once the SMS is
    # sent notify's database keeps it nowhere
    sms = wait_for(lambda: [m for m in rpc.notify.messages_for_case(shop["application_number"])
                            if m["template"] == "application_received_with_code"
                            and m["status"] in ("sent", "delivered")] or None,
                   timeout=30, what="the acceptance SMS, sent")
    assert "查询码******" in sms[0]["text"] and shop["query_code"] not in sms[0]["text"]
    [(kept,)] = query(stack, "notify", "SELECT text || shown_text FROM messages WHERE id = :i", i=sms[0]["id"])
    assert shop["query_code"] not in kept


def test_a_refusal_at_the_window_reaches_supervision_with_its_reason(stack: Stack, rpc: Any) -> None:
    item = rpc.intake.get_item("GS-CG-0202")
    filed = rpc.intake.refuse_application({
        "application": application_for(item, 77), "reason_code": "outside-remit",
        "reason_text": "该广告设施位于城市道路红线内，属市政设施审批", "clerk_id": "window-03"})
    wait_for(lambda: "application.refused" in audit_types(stack, filed["number"]) or None,
             timeout=30, what="the refusal in the audit log")
    [(count,)] = query(stack, "intake", "SELECT count(*) FROM refusals WHERE number = :n", n=filed["number"])
    assert count == 1
    # and the applicant is told, with the filed reason
    [sms] = wait_for(lambda: query(stack, "notify", "SELECT recipient, text FROM messages WHERE case_number = :n "
                                   "AND template = 'application_not_accepted' AND status = 'sent'",
                                   n=filed["number"]) or None, timeout=20, what="the refusal SMS")
    assert sms.recipient == application_for(item, 77)["applicant"]["mobile"]
    assert "不予受理" in sms.text and "该广告设施位于城市道路红线内" in sms.text
    audited = wait_for(lambda: (lambda t: t if "sms.sent" in t else None)(audit_types(stack, filed["number"])),
                       timeout=20, what="the refusal SMS in the audit log")
    assert audited.count("application.refused") == 1 and set(audited) == {"application.refused", "sms.sent"}


def test_a_double_click_at_the_window_is_one_application(stack: Stack, rpc: Any) -> None:
    item = rpc.intake.get_item("GS-CG-0401")
    twice = {k: v for k, v in application_for(item, 91).items() if k != "idempotency_key"}
    calls = [rpc.intake.submit_application.call_async(twice) for _ in range(6)]
    numbers = {call.result()["application_number"] for call in calls}
    assert len(numbers) == 1
    [(count,)] = query(stack, "intake", "SELECT count(*) FROM applications WHERE number = :n", n=numbers.pop())
    assert count == 1
    assert query(stack, "intake", "SELECT count(*) FROM applications WHERE mobile = :m",
                 m=twice["applicant"]["mobile"])[0][0] == 1
