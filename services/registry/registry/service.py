"""Registry's entrypoints: issue certificates and permits the moment a case is approved."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from nameko.rpc import rpc
from sqlalchemy import select

from registry import domain
from registry.models import CertificateRow, metadata, sequences
from registry.schemas import CertificateSchema, PublicCertificateSchema
from registry.settings import MIGRATIONS
from sunlight import base, metrics
from sunlight.calendar import SHANGHAI
from sunlight.contracts import CASE_APPROVED, Event
from sunlight.db import Database
from sunlight.errors import NotFound, SunlightError
from sunlight.messaging import event_handler
from sunlight.sequences import next_value
from sunlight.tenants import tenant


class RegistryService(base.ServiceBase):
    """Certificates, permits and (later) parcels, projects and mortgages."""

    name = "registry"
    db = Database(metadata, MIGRATIONS)

    @event_handler("workflow", CASE_APPROVED)  # type: ignore[untyped-decorator]
    def on_case_approved(self, body: dict[str, Any]) -> None:
        """Issue exactly once per case, however often the approval is delivered."""
        event = Event.from_message(body)
        case_number = event.case_number or ""
        now = datetime.now(UTC)
        with self.db.unit_of_work() as uow:
            if not uow.first_delivery(event.event_id, "registry.on_case_approved"):
                metrics.EVENTS_DUPLICATE.labels("registry", "on_case_approved").inc()
                return
            issued = uow.session.scalars(
                select(CertificateRow).where(CertificateRow.case_number == case_number)
            ).first()
            if issued is not None:
                return
            kind = event.payload["certificate_kind"]
            office = tenant(event.payload["tenant"])
            year = _local_year(now)
            sequence = next_value(uow.session, sequences, domain.sequence_name(kind, office.code, year))
            certificate, issued_event = domain.issue(
                event.payload,
                case_number=case_number,
                number=domain.certificate_number(kind, office, year, sequence),
                verification_code=secrets.token_hex(4).upper(),
                now=now,
            )
            uow.session.add(CertificateRow(**certificate.__dict__))
            uow.emit(issued_event)
        metrics.CERTIFICATES_ISSUED.labels(certificate.tenant, certificate.kind).inc()

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def get_certificate(self, number: str) -> dict[str, Any]:
        """Public verification: genuine or not, with the holder's personal data masked."""
        with self.db.read() as session:
            row = session.get(CertificateRow, number)
            if row is None:
                raise NotFound(f"no certificate {number!r}", {"number": ["not a certificate we issued"]})
            return dict(PublicCertificateSchema().dump(row))

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


def _local_year(now: datetime) -> int:
    """Numbering years follow business time (Asia/Shanghai), not the server's zone."""
    return now.astimezone(SHANGHAI).year
