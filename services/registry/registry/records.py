"""Registry's steps inside one unit of work: keyword-only functions the entrypoints call.

Every step that can lead to issuance first locks the case file's row (``FOR UPDATE`` or the upsert's
row lock on PostgreSQL; SQLite has one writer), so an approval and the last payment arriving at the same
moment, or the same event delivered twice, are decided one after the other: exactly one certificate.
The event path (acceptance, approval, issuing) runs prebuilt Core statements (registry.casefiles).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from registry import casefiles, domain
from registry.models import (
    CaseFileRow,
    CertificateRow,
    MortgageRow,
    ParcelRightRow,
    ParcelRow,
    PaymentRow,
    sequences,
)
from sunlight.calendar import SHANGHAI
from sunlight.db import UnitOfWork
from sunlight.errors import Conflict, NotFound
from sunlight.sequences import next_value
from sunlight.tenants import tenant


@dataclass(frozen=True)
class Issued:
    """What the service reports after commit: the certificate, and how long the case took."""

    number: str
    tenant: str
    kind: str
    item_code: str
    accepted_at: datetime | None
    issued_at: datetime


def local_year(now: datetime) -> int:
    """Numbering years follow business time (Asia/Shanghai), not the server's zone."""
    return now.astimezone(SHANGHAI).year


def find_case_file(session: Session, case_number: str) -> CaseFileRow:
    """An existing case file, locked; NotFound when registry has not heard of the case."""
    row = session.scalars(
        select(CaseFileRow).where(CaseFileRow.case_number == case_number).with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"no case {case_number!r} at registry", {"case_number": ["unknown case"]})
    return row


def record_acceptance(uow: UnitOfWork, payload: Mapping[str, Any], *, case_number: str,
                      fees: Sequence[domain.FeeDue], parcel: Mapping[str, Any] | None,
                      now: datetime) -> Issued | None:
    """Learn a case's fees, project and parcel from ``application.accepted``."""
    connection = uow.session.connection()  # Core on the connection: the event path needs no ORM objects
    case = casefiles.take_accepted(connection, case_number, _opened(payload), accepted_at=payload["accepted_at"],
                                   permit_series=payload.get("permit_series") or None, parcel=parcel)
    project_code = _project_for(uow.session, payload, case_number=case_number, now=now)
    casefiles.finish_acceptance(connection, case_number, project_code=project_code,
                                fees=() if case.fees_known else fees)
    return issue_if_ready(uow, replace(case, project_code=project_code, fees_known=True), now=now)


def record_approval(uow: UnitOfWork, payload: Mapping[str, Any], *, case_number: str,
                    now: datetime) -> Issued | None:
    """Note the approval; issue if every listed fee is already paid."""
    case = casefiles.take_approved(uow.session.connection(), case_number, _opened(payload),
                                   approved_at=payload["decided_at"])
    return issue_if_ready(uow, case, now=now)


def record_payment(uow: UnitOfWork, *, case_number: str, fee_code: str, amount_fen: int, clerk: str,
                   now: datetime) -> tuple[PaymentRow, Issued | None]:
    """Record a listed fee as paid (typed refusal otherwise); issue if the case is approved and all is paid."""
    case = _case_file(find_case_file(uow.session, case_number))
    connection = uow.session.connection()
    fees, payments = casefiles.fees(connection, case_number), casefiles.payments(connection, case_number)
    fee = domain.settle(casefiles.view(connection, case), fees, payments, fee_code=fee_code, amount_fen=amount_fen)
    row = PaymentRow(case_number=case_number, fee_code=fee.code, amount_fen=fee.amount_fen, clerk=clerk,
                     paid_at=now, refund_reason="")
    uow.session.add(row)
    uow.session.flush()
    all_paid = not domain.outstanding(fees, [*payments, domain.Payment(fee.code, fee.amount_fen)])
    uow.emit(domain.payment_recorded(case_number, payment_id=row.id, fee=fee, tenant=case.tenant,
                                     all_paid=all_paid, now=now))
    return row, issue_if_ready(uow, case, now=now)


def record_withdrawal(uow: UnitOfWork, *, case_number: str, reason: str, now: datetime) -> int:
    """Mark the case withdrawn and refund every fee paid on it; the number of refunds."""
    case = find_case_file(uow.session, case_number)
    if case.withdrawn_at is not None:
        return 0
    case.withdrawn_at = now
    refunded = 0
    for row, payment in _payments(uow.session, case_number):
        if payment.refunded:
            continue
        row.refunded_at, row.refund_reason = now, reason
        uow.emit(domain.payment_refunded(case_number, payment_id=row.id, payment=payment, tenant=case.tenant,
                                         reason=reason, now=now))
        refunded += 1
    return refunded


def issue_if_ready(uow: UnitOfWork, case: casefiles.CaseFile, *, now: datetime) -> Issued | None:
    """Issue the certificate or permit if approval and payment have met; nothing otherwise."""
    if not case.may_issue:  # most events: the certificate, fees and payments need not be read
        return None
    connection = uow.session.connection()
    fees, payments = casefiles.fees(connection, case.case_number), casefiles.payments(connection, case.case_number)
    if not domain.ready_to_issue(casefiles.view(connection, case), fees, payments):
        return None
    office = tenant(case.tenant)
    year = local_year(now)
    kind = case.certificate_kind
    series = case.permit_series or ""
    sequence = next_value(uow.session, sequences, domain.sequence_name(kind, office.code, year, series))
    approved = {"certificate_kind": kind, "tenant": case.tenant, "item_name": case.item_name,
                "applicant": {"name": case.holder_name, "mobile": case.holder_mobile}}
    number = domain.certificate_number(kind, office, year, sequence, series)
    certificate, event = domain.issue(
        approved, case_number=case.case_number, number=number,
        verification_code=secrets.token_hex(4).upper(), now=now,
    )
    parcel_code = _register_parcel(uow.session, case, certificate.number, now=now) if kind == "title" else None
    casefiles.add_certificate(connection, certificate, project_code=case.project_code, parcel_code=parcel_code)
    uow.emit(event)
    return Issued(number=certificate.number, tenant=case.tenant, kind=kind, item_code=case.item_code,
                  accepted_at=case.accepted_at, issued_at=now)


def register_mortgage(uow: UnitOfWork, *, title_number: str, mortgagee: str, amount_fen: int,
                      now: datetime) -> MortgageRow:
    """Register a mortgage on a title at the next rank, with its certificate of mortgage."""
    title = uow.session.scalars(
        select(CertificateRow).where(CertificateRow.number == title_number).with_for_update()
    ).first()
    active = 0 if title is None else _active_mortgages(uow.session, title_number)
    rank = domain.mortgage_rank(title_kind=title.kind if title else None,
                                title_status=title.status if title else "", active_mortgages=active,
                                title_number=title_number)
    assert title is not None  # mortgage_rank refused a missing title
    office, year = tenant(title.tenant), local_year(now)
    sequence = next_value(uow.session, sequences, domain.sequence_name("mortgage", office.code, year))
    row = MortgageRow(number=domain.mortgage_number(office, year, sequence), title_number=title_number,
                      tenant=title.tenant, rank=rank, mortgagee=mortgagee, amount_fen=amount_fen,
                      registered_at=now, verification_code=secrets.token_hex(4).upper())
    uow.session.add(row)
    _record_right_change(uow.session, title, change=f"mortgage-rank-{rank}", document=row.number, now=now)
    uow.emit(domain.mortgage_registered(number=row.number, title_number=title_number, rank=rank,
                                        amount_fen=amount_fen, tenant=title.tenant, now=now))
    return row


def release_mortgage(uow: UnitOfWork, *, mortgage_number: str, now: datetime) -> MortgageRow:
    """Release a registered mortgage (the debt is repaid); a second release is refused."""
    row = uow.session.scalars(
        select(MortgageRow).where(MortgageRow.number == mortgage_number).with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"no mortgage {mortgage_number!r}", {"mortgage_number": ["not a mortgage we registered"]})
    if row.released_at is not None:
        raise Conflict(f"mortgage {mortgage_number} was already released",
                       {"mortgage_number": ["already released"]})
    row.released_at = now
    title = uow.session.get(CertificateRow, row.title_number)
    if title is not None:
        _record_right_change(uow.session, title, change="mortgage-released", document=row.number, now=now)
    uow.emit(domain.mortgage_released(number=row.number, title_number=row.title_number, tenant=row.tenant,
                                      now=now))
    return row


def active_mortgages(session: Session, title_number: str) -> list[MortgageRow]:
    """The mortgages a title carries now, by rank."""
    return list(session.scalars(
        select(MortgageRow).where(MortgageRow.title_number == title_number, MortgageRow.released_at.is_(None))
        .order_by(MortgageRow.rank)
    ))


def _active_mortgages(session: Session, title_number: str) -> int:
    return int(session.scalar(
        select(func.count()).select_from(MortgageRow)
        .where(MortgageRow.title_number == title_number, MortgageRow.released_at.is_(None))
    ) or 0)


def _record_right_change(session: Session, title: CertificateRow, *, change: str, document: str,
                         now: datetime) -> None:
    if title.parcel_code is None:
        return
    parcel = session.get(ParcelRow, title.parcel_code)
    if parcel is None:
        return
    session.add(ParcelRightRow(parcel_code=parcel.code, change=change, right_type=parcel.right_type,
                               owner_name=parcel.owner_name, document_number=document,
                               case_number=title.case_number, changed_at=now))


def _register_parcel(session: Session, case: casefiles.CaseFile, title_number: str, *, now: datetime) -> str | None:
    """Create or update the parcel a title is for, and keep the change in its history."""
    described = case.parcel
    if not described:
        return None
    parcel = session.get(ParcelRow, described["code"])
    change = "first-registration" if parcel is None else "transfer"
    if parcel is None:
        parcel = ParcelRow(code=described["code"], tenant=case.tenant)
        session.add(parcel)
    parcel.location = described["location"]
    parcel.geometry = described.get("geometry")
    parcel.area_m2 = described["area_m2"]
    parcel.land_use = described["land_use"]
    parcel.right_type = described["right_type"]
    parcel.term_years = described.get("term_years")
    parcel.owner_name = case.holder_name
    parcel.project_code = case.project_code
    previous = parcel.title_number
    parcel.title_number = title_number
    session.flush()
    if previous:  # the old title no longer describes the right
        session.execute(update(CertificateRow).where(CertificateRow.number == previous).values(status="superseded"))
    session.add(ParcelRightRow(parcel_code=parcel.code, change=change, right_type=parcel.right_type,
                               owner_name=case.holder_name, document_number=title_number,
                               case_number=case.case_number, changed_at=now))
    return parcel.code


def _project_for(session: Session, payload: Mapping[str, Any], *, case_number: str, now: datetime) -> str:
    form = payload.get("form") or {}
    office = tenant(payload["tenant"])
    year = local_year(now)
    sequence = None
    if domain.wants_new_project(form):
        sequence = next_value(session, sequences, f"project:{office.code}:{year}")
    code = domain.project_code(form, prefix=office.prefix, year=year, sequence=sequence)
    casefiles.add_project(session.connection(), code=code, tenant=office.code,
                          name=str(form.get("project_name") or payload["item_name"]),
                          first_case_number=case_number, now=now)
    return code


def _opened(payload: Mapping[str, Any]) -> dict[str, Any]:
    """A new case file's who and what, from whichever event about the case comes first."""
    applicant = payload["applicant"]
    return {"tenant": payload["tenant"], "item_code": payload["item_code"], "item_name": payload["item_name"],
            "certificate_kind": payload["certificate_kind"], "holder_name": applicant["name"],
            "holder_mobile": applicant["mobile"]}


def _case_file(row: CaseFileRow) -> casefiles.CaseFile:
    """The ORM row of a case file (the window's path) as the issuing step takes it."""
    return casefiles.CaseFile(**{name: getattr(row, name) for name in casefiles.CaseFile.__dataclass_fields__})


def _payments(session: Session, case_number: str) -> list[tuple[PaymentRow, domain.Payment]]:
    rows = session.scalars(select(PaymentRow).where(PaymentRow.case_number == case_number).order_by(PaymentRow.id))
    return [(r, domain.Payment(r.fee_code, r.amount_fen, refunded=r.refunded_at is not None)) for r in rows]
