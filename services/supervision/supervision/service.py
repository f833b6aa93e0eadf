"""Supervision's entrypoints: append every event of every service to the audit chain."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from nameko.rpc import rpc
from sqlalchemy import select

from sunlight import base, metrics
from sunlight.contracts import AUDITED_SERVICES, Event
from sunlight.db import Database
from sunlight.messaging import every_event_handler
from supervision import audit_log
from supervision.models import AuditRecord, metadata
from supervision.settings import MIGRATIONS


class SupervisionService(base.ServiceBase):
    """电子监察: watches every step of every case."""

    name = "supervision"
    db = Database(metadata, MIGRATIONS)

    @every_event_handler(AUDITED_SERVICES)  # type: ignore[untyped-decorator]
    def record_event(self, body: dict[str, Any]) -> None:
        """Append the event to the audit log, once, chained to the record before it."""
        event = Event.from_message(body)
        with self.db.unit_of_work() as uow:
            if not uow.first_delivery(event.event_id, "supervision.record_event"):
                metrics.EVENTS_DUPLICATE.labels("supervision", "record_event").inc()
                return
            audit_log.append_event(uow.session, body)
        metrics.AUDIT_RECORDS.labels(event.source).inc()

    @rpc  # type: ignore[untyped-decorator]
    def verify_audit_chain(self) -> dict[str, Any]:
        """Recompute the whole chain; name the first broken record if any."""
        with self.db.read() as session:
            return asdict(audit_log.verify_chain(session))

    @rpc  # type: ignore[untyped-decorator]
    def case_audit_trail(self, case_number: str) -> list[dict[str, Any]]:
        """Every recorded event of one case, in order."""
        with self.db.read() as session:
            rows = session.scalars(
                select(AuditRecord).where(AuditRecord.case_number == case_number).order_by(AuditRecord.seq)
            ).all()
            return [{"seq": r.seq, "event_type": r.event_type, "source": r.source,
                     "occurred_at": r.occurred_at, "hash": r.hash} for r in rows]

