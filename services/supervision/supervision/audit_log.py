"""The audit log in the database: append one event under the chain-head lock, verify the whole chain."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from supervision import domain
from supervision.models import AuditRecord, ChainHead


def append_event(session: Session, body: Mapping[str, Any]) -> domain.AuditEntry:
    """Append one event as the next record; the head row lock keeps the chain from forking."""
    head = _lock_head(session)
    entry = domain.append(body, seq=head.last_seq + 1, prev_hash=head.last_hash)
    session.add(AuditRecord(recorded_at=datetime.now(UTC), **asdict(entry)))
    head.last_seq, head.last_hash = entry.seq, entry.hash
    return entry


def case_events(session: Session, case_number: str) -> list[dict[str, Any]]:
    """Every recorded event of one case (or complaint), as received, in recording order."""
    bodies = session.scalars(
        select(AuditRecord.body).where(AuditRecord.case_number == case_number).order_by(AuditRecord.seq))
    return [json.loads(body) for body in bodies]


def verify_chain(session: Session) -> domain.Verification:
    """Recompute every record's hash in order and compare the end of the chain with its head."""
    if session.get_bind().dialect.name == "postgresql":
        # one snapshot for head and records, so a concurrent append is not mistaken for an insertion
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    head_row = session.get(ChainHead, 1)
    head = domain.Head(head_row.last_seq, head_row.last_hash) if head_row else domain.Head(0, domain.GENESIS)
    rows = session.scalars(select(AuditRecord).order_by(AuditRecord.seq)).yield_per(1000)
    return domain.verify((_entry(row) for row in rows), head)


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
