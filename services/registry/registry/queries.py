"""Registry's read side: a project's whole chain, and the public verification of a certificate."""

from __future__ import annotations

import hmac
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from registry import records
from registry.models import CaseFileRow, CertificateRow, ParcelRightRow, ParcelRow, PaymentRow, ProjectRow
from registry.schemas import (
    CertificateSchema,
    MortgageSchema,
    ParcelOutSchema,
    PaymentSchema,
    PublicCertificateSchema,
    PublicParcelSchema,
    RightChangeSchema,
)
from sunlight.errors import NotFound, NotGenuine


def verification(session: Session, number: str, verification_code: str) -> dict[str, Any]:
    """What anyone may learn from a certificate number and its verification code; NotGenuine otherwise.

    An unknown number and a wrong code get the same answer, so the check cannot be used to find out
    which numbers exist.
    """
    row = session.get(CertificateRow, number)
    if row is None or not hmac.compare_digest(row.verification_code, str(verification_code).strip().upper()):
        raise NotGenuine(f"{number!r} with this verification code is not a certificate we issued",
                         {"number": ["not genuine: number and verification code do not match"]})
    parcel = session.get(ParcelRow, row.parcel_code) if row.parcel_code else None
    mortgages = records.active_mortgages(session, number)
    return {
        "genuine": True,
        "current": row.status == "current",
        "certificate": dict(PublicCertificateSchema().dump(row)),
        "parcel": dict(PublicParcelSchema().dump(parcel)) if parcel else None,
        "mortgaged": bool(mortgages),
        "mortgage_ranks": [m.rank for m in mortgages],
    }


def issued(session: Session, *, tenant: str | None, limit: int) -> list[dict[str, Any]]:
    """Certificates and permits issued, newest first, as the public results page lists them (holder masked)."""
    query = (select(CertificateRow, CaseFileRow.item_code)
             .join(CaseFileRow, CaseFileRow.case_number == CertificateRow.case_number, isouter=True)
             .order_by(CertificateRow.issued_at.desc()).limit(limit))
    if tenant:
        query = query.where(CertificateRow.tenant == tenant)
    listed = []
    for row, item_code in session.execute(query):
        public = dict(PublicCertificateSchema().dump(row))
        public.pop("holder_mobile", None)  # a results list needs no phone, even masked
        listed.append({**public, "item_code": item_code or ""})
    return listed


def project_chain(session: Session, project_code: str) -> dict[str, Any]:
    """Everything under one project code, from its first application to its last certificate."""
    project = session.get(ProjectRow, project_code)
    if project is None:
        raise NotFound(f"no project {project_code!r}", {"project_code": ["unknown project code"]})
    cases = session.scalars(
        select(CaseFileRow).where(CaseFileRow.project_code == project_code).order_by(CaseFileRow.accepted_at)
    ).all()
    certificates = {c.case_number: c for c in session.scalars(
        select(CertificateRow).where(CertificateRow.project_code == project_code))}
    parcels = session.scalars(select(ParcelRow).where(ParcelRow.project_code == project_code)).all()
    return {
        "project_code": project.code,
        "name": project.name,
        "tenant": project.tenant,
        "first_case_number": project.first_case_number,
        "created_at": project.created_at.isoformat(),
        "cases": [_case(session, case, certificates.get(case.case_number)) for case in cases],
        "parcels": [_parcel(session, parcel) for parcel in parcels],
    }


def _case(session: Session, case: CaseFileRow, certificate: CertificateRow | None) -> dict[str, Any]:
    payments = session.scalars(select(PaymentRow).where(PaymentRow.case_number == case.case_number)
                               .order_by(PaymentRow.id)).all()
    return {
        "case_number": case.case_number,
        "item_code": case.item_code,
        "item_name": case.item_name,
        "accepted_at": case.accepted_at.isoformat() if case.accepted_at else None,
        "approved_at": case.approved_at.isoformat() if case.approved_at else None,
        "withdrawn_at": case.withdrawn_at.isoformat() if case.withdrawn_at else None,
        "payments": PaymentSchema(many=True).dump(payments),
        "certificate": dict(CertificateSchema().dump(certificate)) if certificate else None,
        "mortgages": MortgageSchema(many=True).dump(records.active_mortgages(session, certificate.number))
        if certificate else [],
    }


def _parcel(session: Session, parcel: ParcelRow) -> dict[str, Any]:
    history = session.scalars(select(ParcelRightRow).where(ParcelRightRow.parcel_code == parcel.code)
                              .order_by(ParcelRightRow.id)).all()
    return {**ParcelOutSchema().dump(parcel), "history": RightChangeSchema(many=True).dump(history)}


def parcel_history(session: Session, parcel_code: str) -> dict[str, Any]:
    """A parcel and every change of its right, oldest first."""
    parcel = session.get(ParcelRow, parcel_code)
    if parcel is None:
        raise NotFound(f"no parcel {parcel_code!r}", {"parcel_code": ["unknown parcel"]})
    return _parcel(session, parcel)
