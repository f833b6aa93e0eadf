"""Registry through five real service processes: the certificate issues the moment approval and payment
meet, in either order and once; a project code and a parcel travel from the window form to the title;
anyone can verify the title; a bank registers a mortgage on it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from sunlight.contracts import APPLICATION_ACCEPTED, new_event
from sunlight.errors import NotGenuine, ValidationFailed
from tests.integration.support import metric, publish_raw, query
from tools.drive import decide, drive_one, sample_application, wait_for
from tools.stack import Stack

pytestmark = pytest.mark.integration

FEES = [{"code": "registration", "name": "不动产登记费", "amount_fen": 55000, "basis": "发改价格规〔2016〕2559号"}]
PARCEL = {"code": "330106001001GB00088", "location": "杭州市西湖区三墩镇振华路以北", "area_m2": 26666.7,
          "land_use": "工业用地", "right_type": "granted", "term_years": 50}


def accepted_with_fees(stack: Stack) -> str:
    """An application accepted with a listed fee, announced as intake announces it; its case number."""
    number = f"HZ-2026-9{uuid.uuid4().int % 10**5:05d}"
    now = datetime.now(UTC)
    event = new_event(APPLICATION_ACCEPTED, number, {
        "application_number": number, "item_code": "HZ-DJ-0101", "item_name": "国有建设用地使用权首次登记",
        "tenant": "hz-land", "process": "handle-approve", "applicant": {"name": "杭州远景智造有限公司",
                                                                         "mobile": "13805710000"},
        "accepted_at": now, "promised_date": now.date(), "certificate_kind": "title", "fees_due": FEES,
        "form": {}}, now)
    publish_raw(stack, "intake", APPLICATION_ACCEPTED, event.to_message())
    wait_for(lambda: query(stack, "registry", "SELECT 1 FROM case_files WHERE case_number = :n AND fees_known",
                           n=number) or None, timeout=15, what="registry to learn the fees")
    return number


def pay(rpc: Any, number: str, amount_fen: int = 55000) -> dict[str, Any]:
    return dict(rpc.registry.record_payment({"case_number": number, "fee_code": "registration",
                                             "amount_fen": amount_fen, "clerk": "window-03"}))


def test_payment_then_approval_issues_the_title_once_approval_arrives(stack: Stack, rpc: Any) -> None:
    number = accepted_with_fees(stack)
    with pytest.raises(ValidationFailed) as wrong:
        pay(rpc, number, amount_fen=50000)
    assert "amount_fen" in wrong.value.fields
    assert pay(rpc, number)["certificate_number"] is None  # not approved yet
    decide(rpc, number)
    title = wait_for(lambda: rpc.registry.certificate_for_case(number), timeout=30, what="the title")
    assert title["number"].startswith("浙(2026)杭州市不动产权第")
    assert len(query(stack, "registry", "SELECT 1 FROM certificates WHERE case_number = :n", n=number)) == 1


def test_approval_then_payment_issues_the_title_in_the_payment_call(stack: Stack, rpc: Any) -> None:
    number = accepted_with_fees(stack)
    decide(rpc, number)
    wait_for(lambda: query(stack, "registry", "SELECT 1 FROM case_files WHERE case_number = :n "
                                              "AND approved_at IS NOT NULL", n=number) or None,
             timeout=30, what="registry to learn the approval")
    assert query(stack, "registry", "SELECT 1 FROM certificates WHERE case_number = :n", n=number) == []
    paid = pay(rpc, number)
    assert paid["certificate_number"] == rpc.registry.certificate_for_case(number)["number"]
    def audited() -> list[str] | None:
        seen = sorted(e["event_type"] for e in rpc.supervision.case_audit_trail(number)
                      if e["event_type"] in ("payment.recorded", "certificate.issued"))
        return seen if len(seen) >= 2 else None

    # supervision's workers may append the two in either order: what matters is each once
    assert wait_for(audited, timeout=15, what="payment and title in the audit trail") == [
        "certificate.issued", "payment.recorded"]


def test_a_title_carries_its_project_and_parcel_and_anyone_can_verify_it(stack: Stack, rpc: Any) -> None:
    application = sample_application(0)
    application["form"] = {"project_code": "2026-330106-34-01-000777", "parcel": PARCEL}
    outcome = drive_one(rpc, application)
    title = outcome.certificate
    assert title["project_code"] == "2026-330106-34-01-000777" and title["parcel_code"] == PARCEL["code"]

    chain = rpc.registry.project("2026-330106-34-01-000777")
    assert [c["case_number"] for c in chain["cases"]] == [outcome.number]
    assert chain["parcels"][0]["history"][0]["change"] == "first-registration"

    [row] = query(stack, "registry", "SELECT verification_code FROM certificates WHERE number = :n", n=title["number"])
    seen = rpc.registry.verify_certificate(title["number"], row.verification_code)
    assert seen["genuine"] and seen["current"] and seen["parcel"]["code"] == PARCEL["code"]
    assert seen["certificate"]["holder_name"].startswith("杭") and "远景" not in str(seen)
    with pytest.raises(NotGenuine):
        rpc.registry.verify_certificate(title["number"], "00000000")

    pledge = rpc.registry.register_mortgage({"title_number": title["number"], "mortgagee": "中国工商银行杭州分行",
                                             "amount_fen": 3_000_000_000})
    assert pledge["rank"] == 1 and "不动产证明" in pledge["number"]
    assert rpc.registry.verify_certificate(title["number"], row.verification_code)["mortgaged"] is True
    page = rpc.registry.certificate_page(title["number"])
    assert title["number"] in page and row.verification_code in page and PARCEL["location"] in page

    assert metric(stack, "registry", "sunlight_submission_to_certificate_seconds_count",
                  tenant="hz-land", item="HZ-DJ-0101") >= 1
