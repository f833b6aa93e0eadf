"""What the SMSC took and what it receipted, written for several messages in one transaction.

These are notify's hot writes (every message passes here twice), so they are SQLAlchemy Core
statements on the tables, not ORM objects: no identity map, no flush, one executemany for all the
parts of a batch. Messages are updated (locked) in id order on both paths, so a batch of 'sent' and
a batch of receipts (or two replicas' batches) cannot deadlock; a message is settled only while its
row is locked, so a receipt and the final 'sent' cannot each miss the other's last part.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, func, select, update

from notify import domain
from notify.models import Message, MessagePart
from sunlight import metrics
from sunlight.contracts import SMS_DELIVERED, SMS_FAILED, SMS_SENT, mask_mobile, new_event
from sunlight.db import Store, UnitOfWork

MESSAGES = cast(Table, Message.__table__)
PARTS = cast(Table, MessagePart.__table__)
#: what an event about a message and its settling need to know of its row
_SETTLE_COLUMNS = (MESSAGES.c.id, MESSAGES.c.status, MESSAGES.c.parts, MESSAGES.c.case_number,
                   MESSAGES.c.template, MESSAGES.c.recipient, MESSAGES.c.provider)
# built once, bound per call: building a statement cost as much CPU as running it on this path
_INSERT_PARTS = PARTS.insert()
_FIRST_PART = select(PARTS.c.provider_id).where(PARTS.c.message_id == bindparam("message_id"), PARTS.c.number == 1)
_MARK_SENT = (update(MESSAGES).where(MESSAGES.c.id == bindparam("message_id"))
              .values(status="sent", provider=bindparam("provider"), provider_id=bindparam("first"),
                      sent_at=bindparam("sent_at"), attempts=bindparam("attempts"), error=None,
                      # every part is with the SMSC: nothing is sent again, and the recipient's code is not kept
                      text=func.coalesce(MESSAGES.c.shown_text, MESSAGES.c.text))
              .returning(*_SETTLE_COLUMNS))
_PARTS_BY_ID = select(PARTS.c.id, PARTS.c.message_id, PARTS.c.provider_id, PARTS.c.status, PARTS.c.submitted_at) \
    .where(PARTS.c.provider_id.in_(bindparam("provider_ids", expanding=True)))
_LOCK_MESSAGES = select(*_SETTLE_COLUMNS).where(MESSAGES.c.id.in_(bindparam("message_ids", expanding=True))) \
    .order_by(MESSAGES.c.id).with_for_update()
_RECEIPTED = update(PARTS).where(PARTS.c.id == bindparam("part_id")) \
    .values(status=bindparam("new_status"), receipt=bindparam("new_receipt"))
_STATUSES = select(PARTS.c.message_id, PARTS.c.status) \
    .where(PARTS.c.message_id.in_(bindparam("message_ids", expanding=True)))
_MARK_FAILED = update(MESSAGES).where(MESSAGES.c.id == bindparam("message_id")) \
    .values(status="failed", error=bindparam("error"))
_MARK_DELIVERED = update(MESSAGES).where(MESSAGES.c.id == bindparam("message_id")) \
    .values(status="delivered", delivered_at=bindparam("now"))


@dataclass(frozen=True)
class TakenPart:
    """One segment the SMSC took on this try: its number, the SMSC's id for it, and when."""

    number: int
    provider_id: str
    submitted_at: datetime


@dataclass(frozen=True)
class Sent:
    """A message whose missing parts the SMSC has all taken: to be recorded 'sent', with those parts."""

    message_id: int
    attempts: int
    provider: str
    taken: tuple[TakenPart, ...]
    sent_at: datetime
    earlier_parts: bool  # an earlier try's parts are on record (they may all be receipted already)


def insert_parts(connection: Connection, message_id: int, taken: Iterable[TakenPart]) -> None:
    """Record the parts the SMSC took (status 'sent': a receipt moves them on)."""
    rows = [{"message_id": message_id, "number": part.number, "provider_id": part.provider_id, "status": "sent",
             "submitted_at": part.submitted_at} for part in taken]
    if rows:
        connection.execute(_INSERT_PARTS, rows)


def record_sent(store: Store, batch: Sequence[Sent]) -> None:
    """Record each message's parts and 'sent', and announce SMS_SENT, for the whole batch in one transaction."""
    with store.unit_of_work() as uow:
        connection = uow.session.connection()  # Core on the connection: the ORM session's layer is not needed
        rows = [{"message_id": sent.message_id, "number": part.number, "provider_id": part.provider_id,
                 "status": "sent", "submitted_at": part.submitted_at} for sent in batch for part in sent.taken]
        if rows:
            connection.execute(_INSERT_PARTS, rows)
        for sent in sorted(batch, key=lambda sent: sent.message_id):
            first = next((part.provider_id for part in sent.taken if part.number == 1), None)
            if first is None:  # part 1 went on an earlier try
                first = connection.scalar(_FIRST_PART, {"message_id": sent.message_id})
            message = connection.execute(_MARK_SENT, {
                "message_id": sent.message_id, "provider": sent.provider, "first": first, "sent_at": sent.sent_at,
                "attempts": sent.attempts}).one()
            uow.emit(new_event(SMS_SENT, message.case_number, payload(message), sent.sent_at))
            if sent.earlier_parts:
                settle(uow, connection, message, _statuses(connection, [sent.message_id]), sent.sent_at)


def record_receipts(store: Store, receipts: list[domain.Receipt], now: datetime) -> list[bool]:
    """Apply receipts in one transaction; for each, False when no part carries its id (yet).

    Messages are locked in id order, so two batches (two replicas' sessions) cannot deadlock.
    """
    with store.unit_of_work() as uow:
        connection = uow.session.connection()
        parts = {part.provider_id: part for part in connection.execute(
            _PARTS_BY_ID, {"provider_ids": list({receipt.provider_id for receipt in receipts})})}
        if not parts:
            return [False] * len(receipts)
        messages = {message.id: message for message in connection.execute(
            _LOCK_MESSAGES, {"message_ids": list({part.message_id for part in parts.values()})})}
        changes: dict[int, dict[str, Any]] = {}
        for receipt in receipts:
            part = parts.get(receipt.provider_id)
            if part is None or part.status != "sent" or part.id in changes or not receipt.final:
                continue  # unknown yet; or already settled: a receipt the SMSC sent twice changes nothing
            changes[part.id] = {"part_id": part.id, "message_id": part.message_id,
                                "new_status": "delivered" if receipt.delivered else "failed",
                                "new_receipt": f"{receipt.stat} err:{receipt.err}"[:64]}
            metrics.SMS_SUBMIT_TO_RECEIPT.labels("smpp").observe(max((now - part.submitted_at).total_seconds(), 0))
        if changes:
            connection.execute(_RECEIPTED, list(changes.values()))
            touched = sorted({change["message_id"] for change in changes.values()})
            statuses = _statuses(connection, touched)
            for message_id in touched:
                settle(uow, connection, messages[message_id], statuses, now)
    return [receipt.provider_id in parts for receipt in receipts]


def _statuses(connection: Connection, message_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {message_id: [] for message_id in message_ids}
    for message_id, status in connection.execute(_STATUSES, {"message_ids": message_ids}):
        found[message_id].append(status)
    return found


def settle(uow: UnitOfWork, connection: Connection, message: Any, statuses: dict[int, list[str]],
           now: datetime) -> None:
    """A sent message is delivered once every part is, and failed as soon as one part failed."""
    if message.status != "sent":
        return
    parts = statuses[message.id]
    if "failed" in parts:
        error = "the SMSC could not deliver it (failed receipt)"
        connection.execute(_MARK_FAILED, {"message_id": message.id, "error": error})
        uow.emit(new_event(SMS_FAILED, message.case_number,
                           {**payload(message), "reason": error, "stage": "receipt"}, now))
        metrics.SMS_FAILED.labels(message.provider or "", message.template, "receipt").inc()
    elif len(parts) == message.parts and all(status == "delivered" for status in parts):
        connection.execute(_MARK_DELIVERED, {"message_id": message.id, "now": now})
        uow.emit(new_event(SMS_DELIVERED, message.case_number, payload(message), now))
        metrics.SMS_DELIVERED.labels(message.provider or "", message.template).inc()


def payload(message: Any) -> dict[str, Any]:
    """What SMS_SENT, SMS_DELIVERED and SMS_FAILED say about a message (the number masked)."""
    return {"message_id": int(message.id), "template": message.template, "recipient": mask_mobile(message.recipient),
            "provider": message.provider or ""}
