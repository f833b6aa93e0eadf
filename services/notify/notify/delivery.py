"""Store, send and follow one SMS: the database side of notify, used by the service's entrypoints.

Every message is stored before anything is sent; the row is the truth. Sending claims the row
(pending → sending; a message due at once is stored already claimed) so two green threads or two
replicas never submit it together; the parts the SMSC takes are recorded with their ids, together
with 'sent' or with the retry, so a retry sends only what is missing.
Never twice: the unique (event, recipient, template) constraint is the rule, Redis the fast path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from notify import domain
from notify.models import Message, MessagePart, OptOut
from notify.providers import PermanentSendError, SmsProvider, TransientSendError
from sunlight import metrics
from sunlight.contracts import SMS_DELIVERED, SMS_FAILED, SMS_SENT, Event, mask_mobile, new_event
from sunlight.db import Store

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Policy:
    """How hard notify tries: backoff, the in-doubt lease, the per-recipient rate limit, the stuck limit."""

    retry_base: timedelta = timedelta(seconds=1)
    retry_cap: timedelta = timedelta(minutes=5)
    claim_lease: timedelta = timedelta(minutes=2)
    rate_per_hour: int = 20
    stuck_after: timedelta = timedelta(minutes=10)


class OnceGuard:
    """Redis in front of the unique constraint: a redelivered event is dropped without a transaction."""

    def __init__(self, client: redis.Redis | None, prefix: str, ttl: timedelta = timedelta(days=7)) -> None:
        self.client, self.prefix, self.ttl = client, prefix, ttl

    def _key(self, event_id: str, recipient: str, template: str) -> str:
        return f"{self.prefix}:sms-once:{event_id}:{recipient}:{template}"

    def seen(self, event_id: str, recipient: str, template: str) -> bool:
        if self.client is None:
            return False
        try:
            return bool(self.client.exists(self._key(event_id, recipient, template)))
        except redis.RedisError:
            return False  # the database decides

    def remember(self, event_id: str, recipient: str, template: str) -> None:
        """Set only after the row is committed: a crash before that must not hide the event."""
        if self.client is None:
            return
        try:
            self.client.set(self._key(event_id, recipient, template), 1, nx=True, ex=self.ttl)
        except redis.RedisError:
            log.warning("redis unavailable; the unique constraint alone guards against duplicates")


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


def store_message(store: Store, guard: OnceGuard, event: Event, template: domain.Template,
                  rendered: domain.Rendered, *, not_before: datetime, now: datetime) -> int | None:
    """Store one message to send; None when this (event, recipient, template) already has one."""
    stored = _store(store, guard, event, template, rendered, not_before=not_before, now=now, claim=False)
    return None if stored is None else stored.message_id


def store_and_claim(store: Store, guard: OnceGuard, event: Event, template: domain.Template,
                    rendered: domain.Rendered, *, not_before: datetime, now: datetime) -> Claim | None:
    """Store one message and, when it is due now, claim it in the same transaction (one commit, not two).

    None when there is nothing to send now: a duplicate, an opted-out recipient, or a message held
    until later (``send_due`` takes that one up when its time comes).
    """
    stored = _store(store, guard, event, template, rendered, not_before=not_before, now=now, claim=True)
    return stored if stored is not None and stored.attempts else None


def _store(store: Store, guard: OnceGuard, event: Event, template: domain.Template, rendered: domain.Rendered,
           *, not_before: datetime, now: datetime, claim: bool) -> Claim | None:
    """The insert behind both: a Claim with ``attempts`` 1 when claimed, 0 when left pending."""
    key = (event.event_id, rendered.recipient, rendered.template)
    if guard.seen(*key):
        metrics.EVENTS_DUPLICATE.labels("notify", rendered.template).inc()
        return None
    stored: Claim | None = None
    try:
        with store.unit_of_work() as uow:
            opted_out = not template.essential and uow.session.get(OptOut, rendered.recipient) is not None
            claimed = claim and not opted_out and not_before <= now
            message = Message(
                event_id=event.event_id, case_number=event.case_number, recipient=rendered.recipient,
                template=rendered.template, text=rendered.text, attempts=0, created_at=now,
                status="opted_out" if opted_out else "sending" if claimed else "pending",
                event_at=event.occurred_at, not_before=not_before, claimed_at=now if claimed else None,
                parts=len(domain.segments(rendered.text, 0)),
                error="recipient opted out of non-essential messages" if opted_out else None,
            )
            uow.session.add(message)
            uow.session.flush()  # no select first: the unique constraint answers "stored already"
            if not opted_out:
                stored = Claim(int(message.id), message.recipient, message.text, message.template,
                               message.event_at, 1 if claimed else 0, frozenset(),
                               _recent(uow.session, message.recipient, now) if claimed else 0)
    except IntegrityError:  # stored already: a redelivery, or a concurrent delivery of the same event won
        metrics.EVENTS_DUPLICATE.labels("notify", rendered.template).inc()
    guard.remember(*key)
    return stored


def _recent(session: Any, recipient: str, now: datetime) -> int:
    return int(session.scalar(select(func.count()).select_from(Message).where(
        Message.recipient == recipient, Message.sent_at >= now - timedelta(hours=1))) or 0)


def due_messages(store: Store, now: datetime, policy: Policy, limit: int = 100) -> list[int]:
    """Pending messages whose time has come; claims a crash left behind go back to pending first."""
    with store.unit_of_work() as uow:
        uow.session.execute(
            update(Message).where(Message.status == "sending", Message.claimed_at < now - policy.claim_lease)
            .values(status="pending", error="in doubt: the sender stopped mid-submit; sending the rest")
        )
    with store.read() as session:
        return list(session.scalars(
            select(Message.id).where(Message.status == "pending", Message.not_before <= now)
            .order_by(Message.not_before, Message.id).limit(limit)
        ).all())


def stuck_count(store: Store, now: datetime, policy: Policy) -> int:
    """Messages stored longer than the limit and still not handed over."""
    with store.read() as session:
        return int(session.scalar(
            select(func.count()).select_from(Message)
            .where(Message.status.in_(("pending", "sending")), Message.created_at < now - policy.stuck_after)
        ) or 0)


def send_message(store: Store, provider: SmsProvider, message_id: int, clock: Clock, policy: Policy) -> str:
    """Try to hand one message to the SMSC; returns what became of it (sent, retry, failed, skipped)."""
    claim = _claim(store, message_id, clock())
    return "skipped" if claim is None else deliver(store, provider, claim, clock, policy)


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
        return Claim(message_id, message.recipient, message.text, message.template, message.event_at,
                     message.attempts + 1, done, _recent(uow.session, message.recipient, now))


def deliver(store: Store, provider: SmsProvider, claim: Claim, clock: Clock, policy: Policy) -> str:
    """Submit a claimed message's missing parts; record them, and 'sent', in one transaction.

    A part the SMSC took is recorded even when a later part fails, so a retry sends only what is
    missing. A crash between the first submit and that commit leaves the claim in doubt: after the
    lease the parts go again with the same user_message_reference (as before, when the window was
    one part: now it is one message).
    """
    message_id, now = claim.message_id, clock()
    if not domain.valid_mobile(claim.recipient):
        return _fail(store, message_id, provider.name, f"invalid mobile number {mask_mobile(claim.recipient)}",
                     "submit")
    if claim.recent >= policy.rate_per_hour:
        return _put_off(store, message_id, claim.attempts - 1, now + timedelta(minutes=5),
                        f"rate limit: {claim.recent} SMS to this number in the last hour", provider.name,
                        "rate-limit")
    taken: list[MessagePart] = []
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
        taken.append(MessagePart(message_id=message_id, number=segment.number, provider_id=provider_id,
                                 status="sent", submitted_at=clock()))
    sent_at = clock()
    with store.unit_of_work() as uow:
        uow.session.add_all(taken)
        uow.session.flush()
        # locked, as record_receipt locks it: otherwise each may miss the other's last part (write skew)
        row = uow.session.get(Message, message_id, with_for_update=True)
        assert row is not None
        row.status, row.provider, row.sent_at, row.attempts, row.error = \
            "sent", provider.name, sent_at, claim.attempts, None
        row.provider_id = next((part.provider_id for part in taken if part.number == 1), None) or uow.session.scalar(
            select(MessagePart.provider_id).where(MessagePart.message_id == message_id, MessagePart.number == 1))
        uow.emit(new_event(SMS_SENT, row.case_number, _payload(row), sent_at))
        if claim.done:  # an earlier try's parts may all be receipted; the parts taken now have no receipt yet
            _settle(uow, row, sent_at)
    metrics.SMS_SENT.labels(provider.name, claim.template, "sent").inc()
    if claim.event_at is not None:
        metrics.SMS_EVENT_TO_SUBMIT.labels(claim.template).observe(max((sent_at - claim.event_at).total_seconds(), 0))
    return "sent"


def record_receipt(store: Store, receipt: domain.Receipt, now: datetime) -> bool:
    """Apply a delivery receipt to its part; False when no part carries that id (yet)."""
    return record_receipts(store, [receipt], now)[0]


def record_receipts(store: Store, receipts: list[domain.Receipt], now: datetime) -> list[bool]:
    """Apply receipts in one transaction; for each, False when no part carries its id (yet).

    Messages are locked in id order, so two batches (two replicas' sessions) cannot deadlock.
    """
    with store.unit_of_work() as uow:
        ids = {receipt.provider_id for receipt in receipts}
        parts = {part.provider_id: part for part in uow.session.scalars(
            select(MessagePart).where(MessagePart.provider_id.in_(ids)))}
        messages = {message.id: message for message in uow.session.scalars(
            select(Message).where(Message.id.in_({part.message_id for part in parts.values()}))
            .order_by(Message.id).with_for_update())}
        touched: dict[int, Message] = {}
        for receipt in receipts:
            part = parts.get(receipt.provider_id)
            if part is None or part.status != "sent" or not receipt.final:
                continue  # unknown yet; or already settled: a receipt the SMSC sent twice changes nothing
            part.status = "delivered" if receipt.delivered else "failed"
            part.receipt = f"{receipt.stat} err:{receipt.err}"[:64]
            metrics.SMS_SUBMIT_TO_RECEIPT.labels("smpp").observe(max((now - part.submitted_at).total_seconds(), 0))
            touched[part.message_id] = messages[part.message_id]
        uow.session.flush()
        for message_id in sorted(touched):
            _settle(uow, touched[message_id], now)
    return [receipt.provider_id in parts for receipt in receipts]


def _settle(uow: Any, message: Message, now: datetime) -> None:
    """A sent message is delivered once every part is, and failed as soon as one part failed."""
    if message.status != "sent":
        return
    statuses = list(uow.session.scalars(select(MessagePart.status).where(MessagePart.message_id == message.id)))
    if "failed" in statuses:
        message.status, message.error = "failed", "the SMSC could not deliver it (failed receipt)"
        uow.emit(new_event(SMS_FAILED, message.case_number,
                           {**_payload(message), "reason": message.error, "stage": "receipt"}, now))
        metrics.SMS_FAILED.labels(message.provider or "", message.template, "receipt").inc()
    elif len(statuses) == message.parts and all(status == "delivered" for status in statuses):
        message.status, message.delivered_at = "delivered", now
        uow.emit(new_event(SMS_DELIVERED, message.case_number, _payload(message), now))
        metrics.SMS_DELIVERED.labels(message.provider or "", message.template).inc()


def _put_off(store: Store, message_id: int, attempts: int, when: datetime, reason: str, provider: str,
             label: str, taken: list[MessagePart] | None = None) -> str:
    with store.unit_of_work() as uow:
        uow.session.add_all(taken or [])  # what the SMSC did take: a retry sends only the rest
        uow.session.execute(update(Message).where(Message.id == message_id).values(
            status="pending", attempts=attempts, not_before=when, error=reason[:1000], claimed_at=None))
    metrics.SMS_RETRIED.labels(provider, label).inc()
    log.warning("SMS %d put off until %s: %s", message_id, when.isoformat(), reason)
    return "retry"


def _fail(store: Store, message_id: int, provider: str, reason: str, stage: str,
          taken: list[MessagePart] | None = None) -> str:
    now = datetime.now().astimezone()
    with store.unit_of_work() as uow:
        uow.session.add_all(taken or [])  # their receipts still find their part
        row = uow.session.get(Message, message_id)
        assert row is not None
        row.status, row.error, row.provider, row.attempts = "failed", reason[:1000], provider, row.attempts + 1
        uow.emit(new_event(SMS_FAILED, row.case_number, {**_payload(row), "reason": reason, "stage": stage}, now))
    metrics.SMS_FAILED.labels(provider, row.template, stage).inc()
    log.error("SMS %d failed for good: %s", message_id, reason)
    return "failed"


def _payload(row: Message) -> dict[str, Any]:
    return {"message_id": int(row.id), "template": row.template, "recipient": mask_mobile(row.recipient),
            "provider": row.provider or ""}


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
