"""The audit log in the database: append one event under the chain-head lock, verify the whole chain.

The ingest path writes with SQLAlchemy Core on the session's connection (no ORM unit of work to flush, none of
the session's execute machinery, which cost more than the statements) and reads each case's trail
once per transaction: ``case_trail`` keeps it in the session once the chain head is locked (nobody else
can append then) and ``append_event`` adds every record this transaction appends to it. The head row is
written once, as the transaction commits, however many records it appended.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.orm import Session

from supervision import domain
from supervision.models import AuditRecord, ChainHead

_RECORDS = AuditRecord.__table__
_HEAD = ChainHead.__table__
_STATE = "supervision.audit_log"
# built once: the ingest path runs them on every event, and building a statement costs more than running it
_APPEND = insert(_RECORDS)
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(last_seq=bindparam("seq"), last_hash=bindparam("hash"))
_READ_HEAD = select(_HEAD.c.last_seq, _HEAD.c.last_hash).where(_HEAD.c.id == 1).with_for_update()
_TRAIL = (select(_RECORDS.c.seq, _RECORDS.c.event_type, _RECORDS.c.occurred_at, _RECORDS.c.body)
          .where(_RECORDS.c.case_number == bindparam("case_number")).order_by(_RECORDS.c.seq))
_TRAILS = (select(_RECORDS.c.case_number, _RECORDS.c.seq, _RECORDS.c.event_type, _RECORDS.c.occurred_at,
                  _RECORDS.c.body)
           .where(_RECORDS.c.case_number.in_(bindparam("numbers", expanding=True))).order_by(_RECORDS.c.seq))


class _Held:
    """What one transaction holds: the locked chain head and the trails read under that lock."""

    def __init__(self, transaction: object) -> None:
        self.transaction = transaction
        self.head: tuple[int, str] | None = None
        self.head_moved = False
        self.trails: dict[str, list[TrailRecord]] = {}


class TrailRecord(NamedTuple):
    """One audit record of a case: its place in the chain, type, when it happened, and the event as received."""

    seq: int
    event_type: str
    occurred_at: str
    body: dict[str, Any]


def append_event(session: Session, body: Mapping[str, Any]) -> domain.AuditEntry:
    """Append one event, less its credentials, as the next record; the head row lock keeps the chain from forking."""
    [entry] = append_events(session, [body])
    return entry


def append_events(session: Session, bodies: Sequence[Mapping[str, Any]]) -> list[domain.AuditEntry]:
    """Append each event, less its credentials, as the next records in order, with one insert."""
    if not bodies:
        return []
    last_seq, last_hash = _lock_head(session)
    entries = []
    for body in bodies:
        entry = domain.append(domain.without_credentials(body), seq=last_seq + 1, prev_hash=last_hash)
        entries.append(entry)
        last_seq, last_hash = entry.seq, entry.hash
    recorded_at = datetime.now(UTC)
    session.connection().execute(_APPEND, [{"recorded_at": recorded_at, **asdict(entry)} for entry in entries])
    held = _held(session)
    held.head = (last_seq, last_hash)
    held.head_moved = True  # written once, when the transaction commits (_write_head)
    for entry in entries:
        trail = held.trails.get(entry.case_number) if entry.case_number is not None else None
        if trail is not None:
            trail.append(TrailRecord(entry.seq, entry.event_type, entry.occurred_at, json.loads(entry.body)))
    return entries


def case_trail(session: Session, case_number: str) -> list[TrailRecord]:
    """Every audit record of one case (or complaint), in recording order; read once per locked transaction."""
    held = _held(session)
    if case_number in held.trails:
        return list(held.trails[case_number])
    rows = session.connection().execute(_TRAIL, {"case_number": case_number})
    trail = [TrailRecord(seq, event_type, occurred_at, json.loads(body))
             for seq, event_type, occurred_at, body in rows]
    if held.head is not None:  # under the head lock no one else appends: the trail stays whole
        held.trails[case_number] = trail
    return list(trail)


def read_trails(session: Session, case_numbers: Sequence[str]) -> None:
    """Read the trails of several cases with one statement, for ``case_trail`` to hand out in this transaction.

    Only under the chain head's lock (after an append): before it, another transaction could still append.
    """
    held = _held(session)
    wanted = [number for number in case_numbers if number not in held.trails]
    if held.head is None or not wanted:
        return
    trails: dict[str, list[TrailRecord]] = {number: [] for number in wanted}
    for number, seq, event_type, occurred_at, body in session.connection().execute(_TRAILS, {"numbers": wanted}):
        trails[number].append(TrailRecord(seq, event_type, occurred_at, json.loads(body)))
    held.trails.update(trails)


def case_events(session: Session, case_number: str) -> list[dict[str, Any]]:
    """Every recorded event of one case (or complaint), as received, in recording order."""
    return [record.body for record in case_trail(session, case_number)]


def verify_chain(session: Session) -> domain.Verification:
    """Recompute every record's hash in order and compare the end of the chain with its head."""
    if session.get_bind().dialect.name == "postgresql":
        # one snapshot for head and records, so a concurrent append is not mistaken for an insertion
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    head_row = session.get(ChainHead, 1)
    head = domain.Head(head_row.last_seq, head_row.last_hash) if head_row else domain.Head(0, domain.GENESIS)
    rows = session.scalars(select(AuditRecord).order_by(AuditRecord.seq)).yield_per(1000)
    return domain.verify((_entry(row) for row in rows), head)


def _lock_head(session: Session) -> tuple[int, str]:
    """The chain head (last seq and hash), locked until the transaction ends; kept in the session once locked."""
    held = _held(session)
    if held.head is not None:
        return held.head
    row = session.connection().execute(_READ_HEAD).first()
    if row is None:
        session.connection().execute(insert(_HEAD).values(id=1, last_seq=0, last_hash=domain.GENESIS))
        head = (0, domain.GENESIS)
    else:
        head = (int(row[0]), str(row[1]))
    held.head = head
    return head


def _held(session: Session) -> _Held:
    """This transaction's state (a new one once the session has begun another transaction)."""
    transaction = session.get_transaction()
    held: _Held | None = session.info.get(_STATE)
    if held is None or held.transaction is not transaction:
        held = session.info[_STATE] = _Held(transaction)
    return held


@event.listens_for(Session, "before_commit")
def _write_head(session: Session) -> None:
    """Move the chain head once per transaction, to the last record it appended (still under the head's lock)."""
    held: _Held | None = session.info.get(_STATE)
    if held is not None and held.head_moved and held.transaction is session.get_transaction():
        assert held.head is not None  # moved only by an append, which read it first
        session.connection().execute(_MOVE_HEAD, {"seq": held.head[0], "hash": held.head[1]})
        held.head_moved = False


def _entry(row: AuditRecord) -> domain.AuditEntry:
    return domain.AuditEntry(
        seq=row.seq, event_id=row.event_id, event_type=row.event_type, source=row.source,
        case_number=row.case_number, occurred_at=row.occurred_at, body=row.body,
        prev_hash=row.prev_hash, hash=row.hash,
    )
