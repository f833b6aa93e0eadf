"""Store, send and follow one SMS: the database side of notify, used by the service's entrypoints.

Every message is stored before anything is sent; the row is the truth. Sending claims the row
(pending → sending; a message due at once is stored already claimed) so two green threads or two
replicas never submit it together; the parts the SMSC takes are recorded with their ids, together
with 'sent' or with the retry, so a retry sends only what is missing.
Never twice: the unique (event, recipient, template) constraint is the rule. (A Redis check in front of it
cost two round trips on every message to save a failed insert on the rare redelivery: it is gone.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from notify import domain
from notify.models import Message, MessagePart, OptOut
from notify.providers import PermanentSendError, SmsProvider, TransientSendError
from notify.records import MESSAGES, Sent, TakenPart, insert_parts, payload, record_receipts, record_sent
from sunlight import metrics
from sunlight.contracts import SMS_FAILED, Event, mask_mobile, new_event
from sunlight.db import Store

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
Recorder = Callable[[Sent], None]  # writes one message's 'sent' (alone, or in a batch with others)
OPT_OUTS = cast(Table, OptOut.__table__)
# built once, bound per call (every batch of messages runs them, send_due every second)
_OPTED_OUT = select(OPT_OUTS.c.mobile).where(OPT_OUTS.c.mobile.in_(bindparam("mobiles", expanding=True)))
_INSERT_MESSAGE = {  # the unique (event, recipient, template): a message stored already is not stored again
    name: dialect.insert(MESSAGES).on_conflict_do_nothing(index_elements=["event_id", "recipient", "template"])
    .returning(MESSAGES.c.id) for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))}
_IN_DOUBT = select(MESSAGES.c.id).where(MESSAGES.c.status == "sending",
                                        MESSAGES.c.claimed_at < bindparam("cutoff")).limit(1)
_REOPEN_IN_DOUBT = update(MESSAGES).where(
    MESSAGES.c.status == "sending", MESSAGES.c.claimed_at < bindparam("cutoff")).values(
    status="pending", error="in doubt: the sender stopped mid-submit; sending the rest")
_DUE = select(MESSAGES.c.id).where(MESSAGES.c.status == "pending", MESSAGES.c.not_before <= bindparam("now")) \
    .order_by(MESSAGES.c.not_before, MESSAGES.c.id).limit(bindparam("limit"))
_STUCK = select(func.count()).select_from(MESSAGES).where(
    MESSAGES.c.status.in_(("pending", "sending")), MESSAGES.c.created_at < bindparam("cutoff"))
_RECENT = select(MESSAGES.c.recipient, func.count()).where(
    MESSAGES.c.recipient.in_(bindparam("recipients", expanding=True)), MESSAGES.c.sent_at >= bindparam("since")
).group_by(MESSAGES.c.recipient)


@dataclass(frozen=True)
class Policy:
    """How hard notify tries: backoff, the in-doubt lease, the per-recipient rate limit, the stuck limit."""

    retry_base: timedelta = timedelta(seconds=1)
    retry_cap: timedelta = timedelta(minutes=5)
    claim_lease: timedelta = timedelta(minutes=2)
    rate_per_hour: int = 20
    stuck_after: timedelta = timedelta(minutes=10)


@dataclass(frozen=True)
class Claim:
    """A message this sender holds (status ``sending``): what it needs to submit the missing parts."""

    message_id: int
    recipient: str
    text: str
    template: str
    event_at: datetime | None
    attempts: int  # this try's number
    done: frozenset[int]  # parts the SMSC already took on an earlier try
    recent: int  # messages sent to this recipient in the last hour


@dataclass(frozen=True)
class NewMessage:
    """A message an event asks for: to be stored, and claimed at once when ``claim`` and it is due now."""

    event: Event
    template: domain.Template
    rendered: domain.Rendered
    not_before: datetime
    now: datetime
    claim: bool = True


def store_message(store: Store, event: Event, template: domain.Template,
                  rendered: domain.Rendered, *, not_before: datetime, now: datetime) -> int | None:
    """Store one message to send; None when this (event, recipient, template) already has one."""
    [stored] = store_messages(store, [NewMessage(event, template, rendered, not_before, now, claim=False)])
    return None if stored is None else stored.message_id


def store_and_claim(store: Store, event: Event, template: domain.Template,
                    rendered: domain.Rendered, *, not_before: datetime, now: datetime) -> Claim | None:
    """Store one message and, when it is due now, claim it in the same transaction (one commit, not two).

    None when there is nothing to send now: a duplicate, an opted-out recipient, or a message held
    until later (``send_due`` takes that one up when its time comes).
    """
    [stored] = store_messages(store, [NewMessage(event, template, rendered, not_before, now)])
    return stored if stored is not None and stored.attempts else None


def store_messages(store: Store, batch: Sequence[NewMessage]) -> list[Claim | None]:
    """Store several messages in one transaction (notify's service gathers those of events arriving together).

    For each, in order: its Claim (``attempts`` 1 if claimed now, 0 if stored pending), or None when
    there is nothing to send (a duplicate, an opted-out recipient). In Core: every message passes here.
    """
    with store.unit_of_work() as uow:
        connection = uow.session.connection()  # Core on the connection: no ORM layer on the hot path
        opted_out = _opted_out(connection, {m.rendered.recipient for m in batch if not m.template.essential})
        stored = [_store(connection, message, opted_out) for message in batch]
        claimed = {claim.recipient for _, claim in stored if claim is not None and claim.attempts}
        # the hourly limit counted once for the batch, from its earliest instant: never less than one by one
        recent = _recent(connection, claimed, min(m.now for m in batch)) if claimed else {}
    for message, (new, _) in zip(batch, stored, strict=True):
        if not new:  # stored already: a redelivery, or a concurrent delivery of the same event won
            metrics.EVENTS_DUPLICATE.labels("notify", message.rendered.template).inc()
    return [claim if claim is None or not claim.attempts else replace(claim, recent=recent.get(claim.recipient, 0))
            for _, claim in stored]


def _opted_out(connection: Connection, mobiles: set[str]) -> frozenset[str]:
    """Which of ``mobiles`` asked for no more non-essential messages (one query for a batch)."""
    if not mobiles:
        return frozenset()
    return frozenset(connection.execute(_OPTED_OUT, {"mobiles": sorted(mobiles)}).scalars())


def _store(connection: Connection, message: NewMessage, opted_out_mobiles: frozenset[str]) -> tuple[bool, Claim | None]:
    """One message's insert: whether it is new, and its Claim (``attempts`` 1 if claimed, 0 if pending; the
    hourly count left for the caller) unless there is nothing to send."""
    event, template, rendered, now = message.event, message.template, message.rendered, message.now
    opted_out = not template.essential and rendered.recipient in opted_out_mobiles
    claimed = message.claim and not opted_out and message.not_before <= now
    # no select first: the unique constraint answers "stored already" (the insert does nothing, returns no id)
    inserted = connection.execute(_INSERT_MESSAGE[connection.dialect.name], {
        "event_id": event.event_id, "case_number": event.case_number, "recipient": rendered.recipient,
        "template": rendered.template, "text": rendered.shown if opted_out else rendered.text,
        "shown_text": rendered.shown, "attempts": 0, "created_at": now,
        "status": "opted_out" if opted_out else "sending" if claimed else "pending",
        "event_at": event.occurred_at, "not_before": message.not_before, "claimed_at": now if claimed else None,
        "parts": len(domain.segments(rendered.text, 0)),
        "error": "recipient opted out of non-essential messages" if opted_out else None,
    }).scalar()
    if inserted is None or opted_out:
        return inserted is not None, None
    return True, Claim(int(inserted), rendered.recipient, rendered.text, rendered.template, event.occurred_at,
                       1 if claimed else 0, frozenset(), 0)


def _recent(session: Any, recipients: set[str], now: datetime) -> dict[str, int]:
    """Messages sent to each of ``recipients`` in the last hour (ix_messages_recipient_sent: not a scan)."""
    rows = session.execute(_RECENT, {"recipients": sorted(recipients), "since": now - timedelta(hours=1)})
    return {recipient: int(count) for recipient, count in rows}


def due_messages(store: Store, now: datetime, policy: Policy, limit: int = 100) -> list[int]:
    """Pending messages whose time has come; claims a crash left behind go back to pending first."""
    lease_cutoff = now - policy.claim_lease
    with store.engine.connect() as connection:  # every second: a read first, a write transaction only if needed
        in_doubt = connection.execute(_IN_DOUBT, {"cutoff": lease_cutoff}).first() is not None
    if in_doubt:
        with store.unit_of_work() as uow:
            uow.session.connection().execute(_REOPEN_IN_DOUBT, {"cutoff": lease_cutoff})
    with store.engine.connect() as connection:
        return list(connection.execute(_DUE, {"now": now, "limit": limit}).scalars())


def stuck_count(store: Store, now: datetime, policy: Policy) -> int:
    """Messages stored longer than the limit and still not handed over."""
    with store.engine.connect() as connection:
        return int(connection.execute(_STUCK, {"cutoff": now - policy.stuck_after}).scalar() or 0)


def send_message(store: Store, provider: SmsProvider, message_id: int, clock: Clock, policy: Policy,
                 record: Recorder | None = None) -> str:
    """Try to hand one message to the SMSC; returns what became of it (sent, retry, failed, skipped)."""
    claim = _claim(store, message_id, clock())
    return "skipped" if claim is None else deliver(store, provider, claim, clock, policy, record)


def _claim(store: Store, message_id: int, now: datetime) -> Claim | None:
    """pending → sending, so no other green thread or replica submits it meanwhile; None if not ours."""
    with store.unit_of_work() as uow:
        claimed = uow.session.execute(
            update(Message).where(Message.id == message_id, Message.status == "pending",
                                  Message.not_before <= now)
            .values(status="sending", claimed_at=now)
        ).rowcount
        if not claimed:
            return None
        message = uow.session.get(Message, message_id)
        assert message is not None
        done = frozenset(uow.session.scalars(select(MessagePart.number).where(MessagePart.message_id == message_id)))
        recent = _recent(uow.session, {message.recipient}, now).get(message.recipient, 0)
        return Claim(message_id, message.recipient, message.text, message.template, message.event_at,
                     message.attempts + 1, done, recent)


def deliver(store: Store, provider: SmsProvider, claim: Claim, clock: Clock, policy: Policy,
            record: Recorder | None = None) -> str:
    """Submit a claimed message's missing parts; record them, and 'sent', in one transaction.

    ``record`` writes the 'sent' (by default at once, alone; notify's service hands it to a batcher that
    writes several messages' in one transaction). A part the SMSC took is recorded even when a later
    part fails, so a retry sends only what is missing. A crash between the first submit and that commit
    leaves the claim in doubt: after the lease the parts go again with the same user_message_reference
    (as before, when the window was one part: now it is the messages of one batch).
    """
    message_id, now = claim.message_id, clock()
    if not domain.valid_mobile(claim.recipient):
        return _fail(store, message_id, provider.name, f"invalid mobile number {mask_mobile(claim.recipient)}",
                     "submit")
    if claim.recent >= policy.rate_per_hour:
        return _put_off(store, message_id, claim.attempts - 1, now + timedelta(minutes=5),
                        f"rate limit: {claim.recent} SMS to this number in the last hour", provider.name,
                        "rate-limit")
    taken: list[TakenPart] = []
    for segment in domain.segments(claim.text, reference=message_id):
        if segment.number in claim.done:
            continue
        try:
            provider_id = provider.submit(claim.recipient, segment, _reference(message_id, segment.number))
        except TransientSendError as exc:
            delay = domain.retry_delay(claim.attempts, base=policy.retry_base, cap=policy.retry_cap)
            return _put_off(store, message_id, claim.attempts, clock() + delay, str(exc), provider.name,
                            _reason(exc), taken)
        except PermanentSendError as exc:
            return _fail(store, message_id, provider.name, str(exc), "submit", taken)
        taken.append(TakenPart(segment.number, provider_id, clock()))
    sent_at = clock()
    sent = Sent(message_id, claim.attempts, provider.name, tuple(taken), sent_at, bool(claim.done))
    if record is None:
        record_sent(store, [sent])
    else:
        record(sent)
    metrics.SMS_SENT.labels(provider.name, claim.template, "sent").inc()
    if claim.event_at is not None:
        metrics.SMS_EVENT_TO_SUBMIT.labels(claim.template).observe(max((sent_at - claim.event_at).total_seconds(), 0))
    return "sent"


def record_receipt(store: Store, receipt: domain.Receipt, now: datetime) -> bool:
    """Apply a delivery receipt to its part; False when no part carries that id (yet)."""
    return record_receipts(store, [receipt], now)[0]


def _put_off(store: Store, message_id: int, attempts: int, when: datetime, reason: str, provider: str,
             label: str, taken: list[TakenPart] | None = None) -> str:
    with store.unit_of_work() as uow:
        # what the SMSC did take: a retry sends only the rest
        insert_parts(uow.session.connection(), message_id, taken or [])
        uow.session.execute(update(Message).where(Message.id == message_id).values(
            status="pending", attempts=attempts, not_before=when, error=reason[:1000], claimed_at=None))
    metrics.SMS_RETRIED.labels(provider, label).inc()
    log.warning("SMS %d put off until %s: %s", message_id, when.isoformat(), reason)
    return "retry"


def _fail(store: Store, message_id: int, provider: str, reason: str, stage: str,
          taken: list[TakenPart] | None = None) -> str:
    now = datetime.now().astimezone()
    with store.unit_of_work() as uow:
        insert_parts(uow.session.connection(), message_id, taken or [])  # their receipts still find their part
        row = uow.session.get(Message, message_id)
        assert row is not None
        row.status, row.error, row.provider, row.attempts = "failed", reason[:1000], provider, row.attempts + 1
        row.text = row.shown_text or row.text  # given up for good: the recipient's code is not kept
        uow.emit(new_event(SMS_FAILED, row.case_number, {**payload(row), "reason": reason, "stage": stage}, now))
    metrics.SMS_FAILED.labels(provider, row.template, stage).inc()
    log.error("SMS %d failed for good: %s", message_id, reason)
    return "failed"


def _reference(message_id: int, part: int) -> int:
    """SMPP user_message_reference (16 bits): the same for every try of one part of one message."""
    return (message_id * 16 + part) % 65536


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "Throttl" in text:
        return "throttled"
    if "unreachable" in text or "bind" in text or "answer" in text:
        return "smsc-down"
    return "transient"
