"""Registry's entrypoints: certificates and permits the moment approval and payment meet, fees,
project codes, parcels, mortgages and public verification."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from registry import domain, records
from registry.documents import render_certificate
from registry.models import CaseFileRow, CertificateRow, metadata
from registry.queries import issued, parcel_history, project_chain, verification
from registry.schemas import (
    CertificateSchema,
    FeeDueSchema,
    IssuedQuerySchema,
    MortgageInSchema,
    MortgageSchema,
    ParcelSchema,
    PaymentInSchema,
    PaymentSchema,
    PublicCertificateSchema,
)
from registry.settings import MIGRATIONS
from sunlight import base, metrics
from sunlight.contracts import APPLICATION_ACCEPTED, CASE_APPROVED, Event, load_or_fail
from sunlight.db import Database
from sunlight.errors import NotFound, SunlightError
from sunlight.messaging import event_handler
from sunlight.rpc import rpc

log = logging.getLogger(__name__)

#: workflow's event when an applicant withdraws (its constant and schema land with workflow's issue)
CASE_WITHDRAWN = "case.withdrawn"


class RegistryService(base.ServiceBase):
    """Certificates, permits, fees, projects, parcels and mortgages."""

    name = "registry"
    db = Database(metadata, MIGRATIONS)

    @event_handler("intake", APPLICATION_ACCEPTED)  # type: ignore[untyped-decorator]
    def on_application_accepted(self, body: dict[str, Any]) -> None:
        """Learn the case's listed fees, its project code and its parcel."""
        event = Event.from_message(body)
        fees = [domain.FeeDue(**fee) for fee in
                load_or_fail(FeeDueSchema(many=True), event.payload["fees_due"], "fees_due")]
        described = (event.payload.get("form") or {}).get("parcel")
        parcel = load_or_fail(ParcelSchema(), described, "parcel") if described else None
        with self.db.unit_of_work() as uow:
            if not uow.first_delivery(event.event_id, "registry.on_application_accepted"):
                metrics.EVENTS_DUPLICATE.labels("registry", "on_application_accepted").inc()
                return
            issued = records.record_acceptance(uow, event.payload, case_number=event.case_number or "",
                                               fees=fees, parcel=parcel, now=datetime.now(UTC))
        _count(issued)

    @event_handler("workflow", CASE_APPROVED)  # type: ignore[untyped-decorator]
    def on_case_approved(self, body: dict[str, Any]) -> None:
        """Issue once the fees are paid too, exactly once however often the approval is delivered."""
        event = Event.from_message(body)
        with self.db.unit_of_work() as uow:
            if not uow.first_delivery(event.event_id, "registry.on_case_approved"):
                metrics.EVENTS_DUPLICATE.labels("registry", "on_case_approved").inc()
                return
            issued = records.record_approval(uow, event.payload, case_number=event.case_number or "",
                                             now=datetime.now(UTC))
        _count(issued)

    @event_handler("workflow", CASE_WITHDRAWN)  # type: ignore[untyped-decorator]
    def on_case_withdrawn(self, body: dict[str, Any]) -> None:
        """Refund every fee paid on a withdrawn application."""
        event = Event.from_message(body)
        with self.db.unit_of_work() as uow:
            if not uow.first_delivery(event.event_id, "registry.on_case_withdrawn"):
                metrics.EVENTS_DUPLICATE.labels("registry", "on_case_withdrawn").inc()
                return
            case_number = event.case_number or ""
            if uow.session.get(CaseFileRow, case_number) is None:
                return  # nothing was ever payable here
            records.record_withdrawal(uow, case_number=case_number,
                                      reason=str(event.payload.get("reason") or "申请人撤回申请"),
                                      now=datetime.now(UTC))

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def record_payment(self, payment: dict[str, Any]) -> dict[str, Any]:
        """The window records a listed fee as paid; issues at once if the case is approved and all is paid."""
        data = load_or_fail(PaymentInSchema(), payment, "payment")
        with self.db.unit_of_work() as uow:
            row, issued = records.record_payment(uow, now=datetime.now(UTC), **data)
            answer = dict(PaymentSchema().dump(row))
            office = uow.session.get(CaseFileRow, row.case_number)
        metrics.PAYMENTS_RECORDED.labels(office.tenant if office else "").inc()
        _count(issued)
        answer["certificate_number"] = issued.number if issued else None
        return answer

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def register_mortgage(self, mortgage: dict[str, Any]) -> dict[str, Any]:
        """Register a mortgage on a title; the certificate of mortgage it gets."""
        data = load_or_fail(MortgageInSchema(), mortgage, "mortgage")
        with self.db.unit_of_work() as uow:
            row = records.register_mortgage(uow, now=datetime.now(UTC), **data)
            return dict(MortgageSchema().dump(row))

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def release_mortgage(self, mortgage_number: str) -> dict[str, Any]:
        """Release a mortgage once its debt is repaid."""
        with self.db.unit_of_work() as uow:
            row = records.release_mortgage(uow, mortgage_number=mortgage_number, now=datetime.now(UTC))
            return dict(MortgageSchema().dump(row))

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def verify_certificate(self, number: str, verification_code: str) -> dict[str, Any]:
        """Public verification: genuine, current, which parcel; personal data masked. Forged: NotGenuine."""
        with self.db.read() as session:
            return verification(session, number, verification_code)

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def project(self, project_code: str) -> dict[str, Any]:
        """The whole chain of a project code: its cases, payments, certificates, parcels and mortgages."""
        with self.db.read() as session:
            return project_chain(session, project_code)

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def parcel(self, parcel_code: str) -> dict[str, Any]:
        """A parcel and the history of every change of its right (staff view)."""
        with self.db.read() as session:
            return parcel_history(session, parcel_code)

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def certificate_page(self, number: str) -> str:
        """The printable HTML page of a certificate or permit (staff: holder unmasked)."""
        with self.db.read() as session:
            row = session.get(CertificateRow, number)
            if row is None:
                raise NotFound(f"no certificate {number!r}", {"number": ["not a certificate we issued"]})
            return render_certificate(session, row)

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def get_certificate(self, number: str) -> dict[str, Any]:
        """Whether a number was issued, with the holder's personal data masked."""
        with self.db.read() as session:
            row = session.get(CertificateRow, number)
            if row is None:
                raise NotFound(f"no certificate {number!r}", {"number": ["not a certificate we issued"]})
            return dict(PublicCertificateSchema().dump(row))

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def issued_certificates(self, request: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Published results (seed 004): certificates and permits issued, newest first, holder masked."""
        data = load_or_fail(IssuedQuerySchema(), request or {}, "issued certificates query")
        with self.db.read() as session:
            return issued(session, tenant=data["tenant"], limit=data["limit"])

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def certificate_for_case(self, case_number: str) -> dict[str, Any]:
        """The certificate or permit issued for a case (staff view, unmasked)."""
        with self.db.read() as session:
            row = session.scalars(
                select(CertificateRow).where(CertificateRow.case_number == case_number)
            ).first()
            if row is None:
                raise NotFound(f"no certificate for case {case_number!r}", {"case_number": ["none issued"]})
            return dict(CertificateSchema().dump(row))


def _count(issued: records.Issued | None) -> None:
    """After commit: count the certificate and how long the case took from acceptance."""
    if issued is None:
        return
    metrics.CERTIFICATES_ISSUED.labels(issued.tenant, issued.kind).inc()
    if issued.accepted_at is not None:
        seconds = (issued.issued_at - issued.accepted_at).total_seconds()
        metrics.SUBMISSION_TO_CERTIFICATE.labels(issued.tenant, issued.item_code).observe(max(seconds, 0.0))
