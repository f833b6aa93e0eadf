"""Supervision's entrypoints: append every event of every service to the audit chain."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from nameko.rpc import rpc
from sqlalchemy import select
from sqlalchemy.orm import Session

from sunlight import base, metrics
from sunlight.contracts import AUDITED_SERVICES, Event
from sunlight.db import Database
from sunlight.messaging import every_event_handler
from supervision import domain
from supervision.models import AuditRecord, ChainHead, metadata
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
            head = _lock_head(uow.session)
            entry = domain.append(body, seq=head.last_seq + 1, prev_hash=head.last_hash)
            uow.session.add(AuditRecord(recorded_at=datetime.now(UTC), **asdict(entry)))
            head.last_seq, head.last_hash = entry.seq, entry.hash
        metrics.AUDIT_RECORDS.labels(event.source).inc()

    @rpc  # type: ignore[untyped-decorator]
    def verify_audit_chain(self) -> dict[str, Any]:
        """Recompute the whole chain; name the first broken record if any."""
        with self.db.read() as session:
            rows = session.scalars(select(AuditRecord).order_by(AuditRecord.seq)).yield_per(1000)
            result = domain.verify(_entry(row) for row in rows)
        return asdict(result)

    @rpc  # type: ignore[untyped-decorator]
    def case_audit_trail(self, case_number: str) -> list[dict[str, Any]]:
        """Every recorded event of one case, in order."""
        with self.db.read() as session:
            rows = session.scalars(
                select(AuditRecord).where(AuditRecord.case_number == case_number).order_by(AuditRecord.seq)
            ).all()
            return [{"seq": r.seq, "event_type": r.event_type, "source": r.source,
                     "occurred_at": r.occurred_at, "hash": r.hash} for r in rows]


def _lock_head(session: Session) -> ChainHead:
    head = session.execute(select(ChainHead).where(ChainHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = ChainHead(id=1, last_seq=0, last_hash=domain.GENESIS)
        session.add(head)
        session.flush()
    return head


def _entry(row: AuditRecord) -> domain.AuditEntry:
    return domain.AuditEntry(
        seq=row.seq, event_id=row.event_id, event_type=row.event_type, source=row.source,
        case_number=row.case_number, occurred_at=row.occurred_at, body=row.body,
        prev_hash=row.prev_hash, hash=row.hash,
    )
