"""Stored, sent in parts, retried, receipted, never twice: notify's database side against a fake SMSC."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import eventlet
import pytest
import yaml
from sqlalchemy import select

from conftest import StoreFactory
from notify import delivery, domain, records
from notify.models import Message, MessagePart, OptOut, metadata, outbox
from notify.providers import LogProvider, SmppProvider, TransientSendError
from notify.settings import MIGRATIONS, TEMPLATES
from sunlight.batching import WriteBatcher
from sunlight.contracts import CERTIFICATE_ISSUED, SMS_DELIVERED, SMS_SENT, new_event
from sunlight.db import Store
from tests.fake_smsc import FakeSmsc, running_smsc

TEMPLATES_SHIPPED = domain.parse_templates(yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))["templates"])
COMPLETED = TEMPLATES_SHIPPED["certificate_issued"]
RECEIVED = TEMPLATES_SHIPPED["application_received"]
POLICY = delivery.Policy(retry_base=timedelta(milliseconds=50), retry_cap=timedelta(milliseconds=200))
PHONE = "13957112345"


@pytest.fixture
def store(make_store: StoreFactory) -> Store:
    return make_store(metadata, MIGRATIONS, "notify")


@pytest.fixture
def smsc(tmp_path: Path) -> Iterator[FakeSmsc]:
    with running_smsc(tmp_path / "smsc.jsonl", "--throttle", "1", "--invalid-prefix", "1399") as fake:
        yield fake


def smpp_to(smsc: FakeSmsc, store: Store) -> SmppProvider:
    def on_receipt(receipt: domain.Receipt) -> None:
        deadline = time.monotonic() + 3
        while not delivery.record_receipt(store, receipt, datetime.now(UTC)) and time.monotonic() < deadline:
            time.sleep(0.05)

    return SmppProvider(host="127.0.0.1", port=smsc.port, system_id="sunlight", password="secret",  # noqa: S106
                        source_addr="106900", on_receipt=on_receipt, timeout=5)


def completion_event(mobile: str = PHONE) -> Any:
    return new_event(CERTIFICATE_ISSUED, "HZ-2026-000001", {
        "certificate_number": "浙(2026)杭州市不动产权第0000001号", "kind": "real-estate",
        "item_name": "国有建设用地使用权首次登记", "tenant": "hz-land", "holder": {"name": "王小明", "mobile": mobile},
        "issued_at": datetime.now(UTC)}, datetime.now(UTC))


def rendered(mobile: str = PHONE) -> domain.Rendered:
    values = {"holder_name": "王小明", "item_name": "国有建设用地使用权首次登记",
              "certificate_number": "浙(2026)杭州市不动产权第0000001号",
              "window": "杭州市民中心国土资源窗口（解放东路18号）"}
    return domain.render(COMPLETED, values, signature="【杭州市国土资源局】", recipient=mobile)


def send_until_settled(store: Store, provider: SmppProvider, message_id: int) -> list[str]:
    outcomes = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        outcomes.append(delivery.send_message(store, provider, message_id, lambda: datetime.now(UTC), POLICY))
        if outcomes[-1] in ("sent", "failed"):
            return outcomes
        time.sleep(0.25)
    raise AssertionError(f"never settled: {outcomes}")


def row(store: Store, message_id: int) -> Message:
    with store.read() as session:
        message = session.get(Message, message_id)
        assert message is not None
        session.expunge(message)
        return message


def test_a_throttled_long_sms_is_retried_sent_in_two_parts_and_delivered_once(
        store: Store, smsc: FakeSmsc) -> None:
    now = datetime.now(UTC)
    message_id = delivery.store_message(store, completion_event(), COMPLETED, rendered(),
                                        not_before=now, now=now)
    assert message_id is not None
    provider = smpp_to(smsc, store)
    try:
        assert send_until_settled(store, provider, message_id) == ["retry", "sent"]
        deadline = time.monotonic() + 5
        while row(store, message_id).status != "delivered" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        provider.close()
    message = row(store, message_id)
    assert message.status == "delivered" and message.attempts == 2 and message.parts == 2
    assert [domain.reassemble(parts) for parts in smsc.messages()[PHONE]] == [message.text]
    with store.read() as session:
        statuses = [p.status for p in session.query(MessagePart).filter_by(message_id=message_id)]
    assert statuses == ["delivered", "delivered"]


def test_the_same_event_for_the_same_recipient_and_template_is_stored_once(
        store: Store) -> None:
    event, now = completion_event(), datetime.now(UTC)
    first = delivery.store_message(store, event, COMPLETED, rendered(), not_before=now, now=now)
    again = delivery.store_message(store, event, COMPLETED, rendered(), not_before=now, now=now)
    assert first is not None and again is None
    with store.read() as session:
        assert session.query(Message).count() == 1


def test_a_number_the_smsc_refuses_fails_with_the_reason_and_announces_it(store: Store, smsc: FakeSmsc) -> None:
    now = datetime.now(UTC)
    message_id = delivery.store_message(store, completion_event("13990000000"), COMPLETED,
                                        rendered("13990000000"), not_before=now, now=now)
    assert message_id is not None
    provider = smpp_to(smsc, store)
    try:
        outcomes = send_until_settled(store, provider, message_id)
    finally:
        provider.close()
    assert outcomes[-1] == "failed"
    message = row(store, message_id)
    assert message.status == "failed" and "Invalid Destination Address" in (message.error or "")
    with store.read() as session:
        from sqlalchemy import text
        types = [r[0] for r in session.execute(text("SELECT event_type FROM outbox"))]
    assert "sms.failed" in types and "sms.sent" not in types


def test_an_opted_out_recipient_gets_no_news_but_still_gets_what_matters(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.session.add(OptOut(mobile=PHONE, created_at=datetime.now(UTC)))
    now = datetime.now(UTC)
    news = domain.render(RECEIVED, {"applicant_name": "王小明", "item_name": "登记", "application_number": "HZ-1",
                                    "promised_date": "2026年12月1日"}, signature="", recipient=PHONE)
    skipped = delivery.store_message(store, completion_event(), RECEIVED, news, not_before=now, now=now)
    essential = delivery.store_message(store, completion_event(), COMPLETED, rendered(),
                                       not_before=now, now=now)
    assert skipped is None and essential is not None
    with store.read() as session:
        statuses = sorted(m.status for m in session.query(Message))
    assert statuses == ["opted_out", "pending"]


def test_a_held_message_is_not_due_before_its_time_and_a_stuck_one_is_counted(store: Store) -> None:
    now = datetime.now(UTC)
    later = now + timedelta(hours=10)
    message_id = delivery.store_message(store, completion_event(), COMPLETED, rendered(),
                                        not_before=later, now=now - timedelta(hours=1))
    assert delivery.due_messages(store, now, POLICY) == []
    assert delivery.due_messages(store, later, POLICY) == [message_id]
    assert delivery.stuck_count(store, now, POLICY) == 1


def test_a_recipient_gets_no_more_than_the_hourly_limit_and_the_rest_waits(store: Store) -> None:
    strict = delivery.Policy(rate_per_hour=1)
    now = datetime.now(UTC)
    first, second = (delivery.store_message(store, completion_event(), template, rendered_for, not_before=now,
                                            now=now)
                     for template, rendered_for in ((COMPLETED, rendered()), (RECEIVED, domain.render(
                         RECEIVED, {"applicant_name": "王小明", "item_name": "登记", "application_number": "HZ-1",
                                    "promised_date": "2026年12月1日"}, signature="", recipient=PHONE))))
    assert first is not None and second is not None
    provider = LogProvider()
    assert delivery.send_message(store, provider, first, lambda: datetime.now(UTC), strict) == "sent"
    assert delivery.send_message(store, provider, second, lambda: datetime.now(UTC), strict) == "retry"
    held = row(store, second)
    assert held.status == "pending" and "rate limit" in (held.error or "") and held.not_before > now


def test_a_claim_left_by_a_crashed_sender_is_taken_up_again_after_the_lease(store: Store) -> None:
    now = datetime.now(UTC)
    message_id = delivery.store_message(store, completion_event(), COMPLETED, rendered(), not_before=now,
                                        now=now)
    with store.unit_of_work() as uow:  # what a sender that died mid-submit leaves behind
        message = uow.session.get(Message, message_id)
        assert message is not None
        message.status, message.claimed_at = "sending", now
    assert delivery.due_messages(store, now + timedelta(seconds=30), POLICY) == []
    assert delivery.due_messages(store, now + POLICY.claim_lease + timedelta(seconds=1), POLICY) == [message_id]
    assert "in doubt" in (row(store, message_id).error or "")


class Line:
    """An SMSC line that takes every part; with ``drop_part_two`` it drops on part 2 once, after taking part 1."""

    name = "smpp"

    def __init__(self, *, drop_part_two: bool = False) -> None:
        self.submitted: list[int] = []
        self.ids: list[str] = []
        self.drop = drop_part_two

    def submit(self, recipient: str, segment: domain.Segment, reference: int) -> str:
        if segment.number == 2 and self.drop:
            self.drop = False
            raise TransientSendError("SMSC unreachable: connection reset")
        self.submitted.append(segment.number)
        self.ids.append(f"smsc-{reference}")
        return self.ids[-1]

    def close(self) -> None:
        return None


def parts_of(store: Store, message_id: int) -> list[tuple[int, str]]:
    with store.read() as session:
        return sorted((p.number, p.status) for p in session.query(MessagePart).filter_by(message_id=message_id))


def test_a_message_due_now_is_stored_already_claimed_so_no_other_sender_takes_it(
        store: Store) -> None:
    now = datetime.now(UTC)
    event = completion_event()
    claim = delivery.store_and_claim(store, event, COMPLETED, rendered(), not_before=now, now=now)
    assert claim is not None and claim.attempts == 1 and claim.done == frozenset()
    assert row(store, claim.message_id).status == "sending"
    assert delivery.store_and_claim(store, event, COMPLETED, rendered(), not_before=now, now=now) is None
    assert delivery.send_message(store, Line(), claim.message_id, lambda: now, POLICY) == "skipped"
    assert delivery.due_messages(store, now, POLICY) == []


def test_messages_stored_together_are_each_stored_once_and_claimed_only_when_due(store: Store) -> None:
    now = datetime.now(UTC)
    due, held = completion_event("13957110001"), completion_event("13957110002")
    batch = [delivery.NewMessage(due, COMPLETED, rendered("13957110001"), now, now),
             delivery.NewMessage(held, COMPLETED, rendered("13957110002"), now + timedelta(hours=10), now),
             delivery.NewMessage(due, COMPLETED, rendered("13957110001"), now, now)]  # the same event again
    claimed, pending, again = delivery.store_messages(store, batch)
    assert claimed is not None and claimed.attempts == 1 and row(store, claimed.message_id).status == "sending"
    assert pending is not None and pending.attempts == 0 and row(store, pending.message_id).status == "pending"
    assert again is None
    assert delivery.store_messages(store, batch[:1]) == [None]  # a redelivery later: stored already
    with store.read() as session:
        assert session.query(Message).count() == 2


def test_a_message_held_for_later_is_stored_pending_and_not_claimed(store: Store) -> None:
    now = datetime.now(UTC)
    later = now + timedelta(hours=10)
    assert delivery.store_and_claim(store, completion_event(), COMPLETED, rendered(), not_before=later,
                                    now=now) is None
    [message_id] = delivery.due_messages(store, later, POLICY)
    assert row(store, message_id).status == "pending"


def test_a_part_the_smsc_took_before_the_line_dropped_is_kept_and_the_retry_sends_only_the_rest(
        store: Store) -> None:
    now = datetime.now(UTC)
    claim = delivery.store_and_claim(store, completion_event(), COMPLETED, rendered(), not_before=now, now=now)
    assert claim is not None
    provider = Line(drop_part_two=True)
    assert delivery.deliver(store, provider, claim, lambda: datetime.now(UTC), POLICY) == "retry"
    assert parts_of(store, claim.message_id) == [(1, "sent")] and row(store, claim.message_id).status == "pending"
    outcome = delivery.send_message(store, provider, claim.message_id, lambda: datetime.now(UTC) + timedelta(hours=1),
                                    POLICY)
    assert outcome == "sent" and provider.submitted == [1, 2]
    assert parts_of(store, claim.message_id) == [(1, "sent"), (2, "sent")]
    message = row(store, claim.message_id)
    assert message.status == "sent" and message.attempts == 2


def test_receipts_recorded_together_settle_the_message_once_and_an_unknown_one_is_left_for_later(
        store: Store) -> None:
    now = datetime.now(UTC)
    claim = delivery.store_and_claim(store, completion_event(), COMPLETED, rendered(), not_before=now, now=now)
    assert claim is not None
    line = Line()
    assert delivery.deliver(store, line, claim, lambda: now, POLICY) == "sent"
    receipts = [domain.Receipt(provider_id, "DELIVRD", "000") for provider_id in [*line.ids, line.ids[0], "nobody"]]
    assert delivery.record_receipts(store, receipts, now) == [True, True, True, False]
    assert row(store, claim.message_id).status == "delivered"
    assert parts_of(store, claim.message_id) == [(1, "delivered"), (2, "delivered")]
    with store.read() as session:
        events = session.execute(select(outbox.c.event_type)).scalars().all()
    assert events.count(SMS_DELIVERED) == 1


def test_messages_submitted_together_are_recorded_sent_together_each_announced_once(
        store: Store) -> None:
    now = datetime.now(UTC)
    claims = [delivery.store_and_claim(store, completion_event(f"1395711{i:04d}"), COMPLETED,
                                       rendered(f"1395711{i:04d}"), not_before=now, now=now) for i in range(8)]
    transactions: list[int] = []

    def write(batch: Sequence[records.Sent]) -> None:
        transactions.append(len(batch))
        records.record_sent(store, batch)

    batcher = WriteBatcher(write)
    line = Line()
    pool = eventlet.GreenPool()
    outcomes = list(pool.imap(lambda claim: delivery.deliver(store, line, claim, lambda: datetime.now(UTC), POLICY,
                                                             batcher.submit), claims))
    assert outcomes == ["sent"] * 8 and sum(transactions) == 8 and len(transactions) < 8
    for claim in claims:
        assert claim is not None
        assert row(store, claim.message_id).status == "sent"
        assert parts_of(store, claim.message_id) == [(1, "sent"), (2, "sent")]
    with store.read() as session:
        events = session.execute(select(outbox.c.event_type)).scalars().all()
    assert events.count(SMS_SENT) == 8
    receipts = [domain.Receipt(provider_id, "DELIVRD", "000") for provider_id in line.ids]
    assert all(delivery.record_receipts(store, receipts, datetime.now(UTC)))
    assert {row(store, claim.message_id).status for claim in claims if claim is not None} == {"delivered"}


def test_messages_stored_together_each_get_their_own_opt_out_and_hourly_count(store: Store) -> None:
    """One batch (the events a burst brings): the opted-out number gets only what matters, the others their
    news, and a number that was already texted this hour carries that count into its claim."""
    quiet, busy, fresh = "13957110011", "13957110012", "13957110013"
    now = datetime.now(UTC)
    with store.unit_of_work() as uow:
        uow.session.add(OptOut(mobile=quiet, created_at=now))
    [earlier] = delivery.store_messages(store, [delivery.NewMessage(completion_event(busy), COMPLETED, rendered(busy),
                                                                    now, now)])
    assert earlier is not None
    delivery.deliver(store, LogProvider(), earlier, lambda: datetime.now(UTC), POLICY)  # busy: one sent this hour

    def news(mobile: str) -> delivery.NewMessage:
        return delivery.NewMessage(completion_event(mobile), RECEIVED, domain.render(RECEIVED, {
            "applicant_name": "王小明", "item_name": "登记", "application_number": "HZ-1",
            "promised_date": "2026年12月1日"}, signature="", recipient=mobile), now, now)

    claims = delivery.store_messages(store, [
        news(quiet), delivery.NewMessage(completion_event(quiet), COMPLETED, rendered(quiet), now, now),
        news(busy), news(fresh)])
    skipped, essential, busy_claim, fresh_claim = claims
    assert skipped is None
    assert essential is not None and essential.attempts == 1 and essential.recent == 0
    assert busy_claim is not None and busy_claim.recent == 1
    assert fresh_claim is not None and fresh_claim.recent == 0
    with store.read() as session:
        assert sorted(m.status for m in session.query(Message).filter_by(recipient=quiet)) == ["opted_out", "sending"]


WITH_CODE = TEMPLATES_SHIPPED["application_received_with_code"]
CODE = "739514"


def acceptance(mobile: str = PHONE) -> domain.Rendered:
    return domain.render(WITH_CODE, {"applicant_name": "王小明", "item_name": "登记", "application_number": "HZ-1",
                                     "promised_date": "2026年12月1日", "query_code": CODE},
                         signature="【杭州市国土资源局】", recipient=mobile)


def stored_texts(store: Store, message_id: int) -> str:
    message = row(store, message_id)
    return f"{message.text}|{message.shown_text}"


def test_the_applicant_gets_the_query_code_and_notify_keeps_it_only_until_the_smsc_has_it(
        store: Store, smsc: FakeSmsc) -> None:
    now = datetime.now(UTC)
    message_id = delivery.store_message(store, completion_event(), WITH_CODE, acceptance(), not_before=now, now=now)
    assert message_id is not None
    waiting = row(store, message_id)
    assert CODE in waiting.text and waiting.shown_text is not None and CODE not in waiting.shown_text
    assert "查询码******在网上" in waiting.shown_text
    provider = smpp_to(smsc, store)
    try:
        assert send_until_settled(store, provider, message_id)[-1] == "sent"
    finally:
        provider.close()
    assert CODE in "".join(domain.reassemble(parts) for parts in smsc.messages()[PHONE])  # the applicant has it
    assert CODE not in stored_texts(store, message_id)
    assert row(store, message_id).text == row(store, message_id).shown_text


def test_a_message_given_up_or_never_to_be_sent_keeps_no_query_code(store: Store, smsc: FakeSmsc) -> None:
    with store.unit_of_work() as uow:
        uow.session.add(OptOut(mobile=PHONE, created_at=datetime.now(UTC)))
    now = datetime.now(UTC)
    opted_out = delivery.store_message(store, completion_event(), WITH_CODE, acceptance(), not_before=now, now=now)
    refused = delivery.store_message(store, completion_event("13990000000"), WITH_CODE, acceptance("13990000000"),
                                     not_before=now, now=now)
    assert opted_out is None and refused is not None
    provider = smpp_to(smsc, store)
    try:
        assert send_until_settled(store, provider, refused)[-1] == "failed"
    finally:
        provider.close()
    with store.read() as session:
        kept = [(m.status, m.text, m.shown_text) for m in session.query(Message).order_by(Message.id)]
    assert [status for status, _, _ in kept] == ["opted_out", "failed"]
    assert all(CODE not in f"{text}{shown}" for _, text, shown in kept), kept
