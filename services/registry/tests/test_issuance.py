"""Issuance when, and only when, approval and payment meet: on SQLite and on PostgreSQL.

Each test drives registry's units of work as its entrypoints do (``application.accepted`` →
``record_acceptance``, ``case.approved`` → ``record_approval``, the window → ``record_payment``) and
reads the end state from registry's own database.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import eventlet
import pytest
from sqlalchemy import select

from registry import domain, records
from registry.models import CertificateRow, PaymentRow, metadata
from registry.settings import MIGRATIONS
from sunlight.calendar import SHANGHAI
from sunlight.contracts import APPLICATION_ACCEPTED, CASE_APPROVED, Event, new_event
from sunlight.db import Store
from sunlight.errors import Conflict, NotFound, ValidationFailed

NOW = datetime(2026, 10, 8, 10, 0, tzinfo=SHANGHAI)
APPLICANT = {"name": "杭州远景智造有限公司", "mobile": "13805710000"}
REGISTRATION_FEE = domain.FeeDue(code="registration", name="不动产登记费", amount_fen=55000,
                                 basis="发改价格规〔2016〕2559号")
CERTIFICATE_FEE = domain.FeeDue(code="certificate", name="证书工本费", amount_fen=1000, basis="")


@pytest.fixture
def store(make_store: Any) -> Iterator[Store]:
    yield make_store(metadata, MIGRATIONS, "registry")


def wire(event_type: str, case_number: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A payload as registry receives it off the broker."""
    return dict(Event.from_message(new_event(event_type, case_number, payload, NOW).to_message()).payload)


def accepted(case_number: str, **changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "application_number": case_number, "item_code": "HZ-DJ-0101", "item_name": "国有建设用地使用权首次登记",
        "tenant": "hz-land", "process": "fast-track-registration", "applicant": APPLICANT,
        "accepted_at": NOW, "promised_date": NOW.date(), "certificate_kind": "title",
        "fees_due": [], "form": {},
    }
    payload.update(changes)
    return wire(APPLICATION_ACCEPTED, case_number, payload)


def approved(case_number: str) -> dict[str, Any]:
    return wire(CASE_APPROVED, case_number, {
        "item_code": "HZ-DJ-0101", "item_name": "国有建设用地使用权首次登记", "tenant": "hz-land",
        "applicant": APPLICANT, "certificate_kind": "title", "decided_at": NOW, "reason": "同意"})


def accept(store: Store, case_number: str, fees: tuple[domain.FeeDue, ...] = (), **changes: Any) -> None:
    with store.unit_of_work() as uow:
        records.record_acceptance(uow, accepted(case_number, **changes), case_number=case_number,
                                  fees=list(fees), parcel=None, now=NOW)


def approve(store: Store, case_number: str) -> records.Issued | None:
    with store.unit_of_work() as uow:
        return records.record_approval(uow, approved(case_number), case_number=case_number, now=NOW)


def pay(store: Store, case_number: str, fee: domain.FeeDue, amount_fen: int | None = None) -> records.Issued | None:
    with store.unit_of_work() as uow:
        _, issued = records.record_payment(uow, case_number=case_number, fee_code=fee.code,
                                           amount_fen=fee.amount_fen if amount_fen is None else amount_fen,
                                           clerk="window-03", now=NOW)
        return issued


def certificates(store: Store, case_number: str | None = None) -> list[Any]:
    """(number, case_number) of every certificate issued, by number."""
    with store.read() as session:
        query = select(CertificateRow.number, CertificateRow.case_number).order_by(CertificateRow.number)
        if case_number is not None:
            query = query.where(CertificateRow.case_number == case_number)
        return list(session.execute(query).all())


def outbox_types(store: Store) -> list[str]:
    with store.read() as session:
        return [row.event_type for row in session.execute(
            select(store._outbox.c.event_type).order_by(store._outbox.c.id))]


def test_an_item_without_fees_issues_on_approval_alone(store: Store) -> None:
    accept(store, "HZ-2026-000001")
    issued = approve(store, "HZ-2026-000001")
    assert issued is not None and issued.number == "浙(2026)杭州市不动产权第0000001号"
    assert [c.number for c in certificates(store)] == ["浙(2026)杭州市不动产权第0000001号"]
    assert outbox_types(store) == ["certificate.issued"]


def test_approval_then_payment_issues_once_when_the_last_fee_is_paid(store: Store) -> None:
    accept(store, "HZ-2026-000002", (REGISTRATION_FEE, CERTIFICATE_FEE))
    assert approve(store, "HZ-2026-000002") is None
    assert pay(store, "HZ-2026-000002", REGISTRATION_FEE) is None
    assert certificates(store) == []
    issued = pay(store, "HZ-2026-000002", CERTIFICATE_FEE)
    assert issued is not None
    assert [c.case_number for c in certificates(store)] == ["HZ-2026-000002"]
    assert outbox_types(store) == ["payment.recorded", "payment.recorded", "certificate.issued"]


def test_payment_then_approval_issues_once_on_approval(store: Store) -> None:
    accept(store, "HZ-2026-000003", (REGISTRATION_FEE,))
    assert pay(store, "HZ-2026-000003", REGISTRATION_FEE) is None
    assert certificates(store) == []
    assert approve(store, "HZ-2026-000003") is not None
    assert len(certificates(store, "HZ-2026-000003")) == 1


def test_an_approval_delivered_again_issues_nothing_more(store: Store) -> None:
    accept(store, "HZ-2026-000004")
    assert approve(store, "HZ-2026-000004") is not None
    assert approve(store, "HZ-2026-000004") is None
    accept(store, "HZ-2026-000004")  # and a redelivered acceptance neither
    assert len(certificates(store)) == 1
    assert outbox_types(store) == ["certificate.issued"]


def test_an_approval_that_overtakes_the_acceptance_waits_for_the_fees(store: Store) -> None:
    assert approve(store, "HZ-2026-000005") is None  # fees not known yet: cannot issue
    accept(store, "HZ-2026-000005", (REGISTRATION_FEE,))
    assert certificates(store) == []
    assert pay(store, "HZ-2026-000005", REGISTRATION_FEE) is not None


def test_a_payment_of_an_unlisted_amount_or_fee_is_refused_and_changes_nothing(store: Store) -> None:
    accept(store, "HZ-2026-000006", (REGISTRATION_FEE,))
    approve(store, "HZ-2026-000006")
    with pytest.raises(ValidationFailed) as wrong_amount:
        pay(store, "HZ-2026-000006", REGISTRATION_FEE, amount_fen=60000)
    assert "amount_fen" in wrong_amount.value.fields
    with pytest.raises(ValidationFailed) as unlisted:
        pay(store, "HZ-2026-000006", CERTIFICATE_FEE)
    assert "registration (55000 fen)" in str(unlisted.value.fields["fee_code"])
    with store.read() as session:
        assert session.execute(select(PaymentRow.id)).all() == []
    assert certificates(store) == [] and outbox_types(store) == []


def test_a_fee_paid_twice_is_refused_and_a_case_we_never_heard_of_is_not_found(store: Store) -> None:
    accept(store, "HZ-2026-000007", (REGISTRATION_FEE, CERTIFICATE_FEE))
    pay(store, "HZ-2026-000007", REGISTRATION_FEE)
    with pytest.raises(Conflict):
        pay(store, "HZ-2026-000007", REGISTRATION_FEE)
    with pytest.raises(NotFound):
        pay(store, "HZ-2026-999999", REGISTRATION_FEE)
    assert outbox_types(store) == ["payment.recorded"]


def test_a_withdrawn_application_gets_its_fees_back_and_never_a_certificate(store: Store) -> None:
    accept(store, "HZ-2026-000008", (REGISTRATION_FEE, CERTIFICATE_FEE))
    pay(store, "HZ-2026-000008", REGISTRATION_FEE)
    with store.unit_of_work() as uow:
        assert records.record_withdrawal(uow, case_number="HZ-2026-000008", reason="申请人撤回", now=NOW) == 1
    with store.unit_of_work() as uow:  # delivered again: nothing refunded twice
        assert records.record_withdrawal(uow, case_number="HZ-2026-000008", reason="申请人撤回", now=NOW) == 0
    with pytest.raises(Conflict):
        pay(store, "HZ-2026-000008", CERTIFICATE_FEE)
    assert approve(store, "HZ-2026-000008") is None
    assert certificates(store) == []
    assert outbox_types(store) == ["payment.recorded", "payment.refunded"]


def test_concurrent_approvals_payments_and_redeliveries_number_without_gap_or_duplicate(
        store: Store, db_uri: str) -> None:
    """Many cases at once, each approved twice and paid at the same moment: one title each, 1..N."""
    if not db_uri.startswith("postgresql"):
        pytest.skip("real concurrency needs PostgreSQL: SQLite has one writer per process")
    cases = [f"HZ-2026-{n:06d}" for n in range(100, 130)]
    for case_number in cases:
        accept(store, case_number, (REGISTRATION_FEE,))
    pool = eventlet.GreenPool(40)
    jobs = []
    for case_number in cases:
        jobs.append(pool.spawn(approve, store, case_number))
        jobs.append(pool.spawn(pay, store, case_number, REGISTRATION_FEE))
        jobs.append(pool.spawn(approve, store, case_number))
    outcomes = [job.wait() for job in jobs]
    issued = certificates(store)
    assert sorted(c.case_number for c in issued) == cases
    sequence = sorted(int(c.number.split("第")[1].rstrip("号")) for c in issued)
    assert sequence == list(range(1, len(cases) + 1))
    assert sum(outcome is not None for outcome in outcomes) == len(cases)
    assert outbox_types(store).count("certificate.issued") == len(cases)


def test_submission_to_certificate_is_measured_from_acceptance(store: Store) -> None:
    accept(store, "HZ-2026-000009")
    with store.unit_of_work() as uow:
        issued = records.record_approval(uow, approved("HZ-2026-000009"), case_number="HZ-2026-000009",
                                         now=datetime(2026, 10, 8, 2, 40, tzinfo=UTC))
    assert issued is not None and issued.accepted_at is not None
    assert (issued.issued_at - issued.accepted_at).total_seconds() == 40 * 60


def test_the_published_results_list_issued_certificates_newest_first_with_the_holder_masked(store: Store) -> None:
    from registry.queries import issued

    accept(store, "HZ-2026-000101")
    approve(store, "HZ-2026-000101")
    accept(store, "HZ-2026-000102", (REGISTRATION_FEE,))
    approve(store, "HZ-2026-000102")  # approved, fee unpaid: nothing issued, nothing published
    with store.read() as session:
        listed = issued(session, tenant="hz-land", limit=10)
        other_tenant = issued(session, tenant="gs-city", limit=10)
    assert [row["case_number"] for row in listed] == ["HZ-2026-000101"]
    assert listed[0]["holder_name"] == "杭*********" and "holder_mobile" not in listed[0]
    assert listed[0]["item_code"] == "HZ-DJ-0101"
    assert other_tenant == []
