"""SMS: completion messages per second through notify to the fake SMSC over SMPP, vs the SMPP client alone.

Through notify: ``certificate.issued`` events are published on registry's exchange as registry would,
one per holder; notify stores each message, then submits its UCS-2 parts over its one bound SMPP
transceiver session, at most WINDOW submit_sm in flight (``SMPP_WINDOW``) however many of its workers
are storing or recording messages meanwhile. The figure is
messages per second from the first publish until the SMSC's own journal holds every message; the
journal is also where "none lost, none duplicated" is counted, per holder.

Baseline: notify's SMPP client (``SmppProvider``) alone in this process, submitting the same parts
to the same SMSC with the same window, with no broker, database or event in between.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import eventlet
import yaml

from bench.figures import REPEATS, Figure
from notify import domain
from notify.providers import SmppProvider
from notify.settings import TEMPLATES
from sunlight.contracts import CERTIFICATE_ISSUED, new_event
from sunlight.tenants import tenant
from tests.fake_smsc import FakeSmsc, running_smsc
from tools.stack import Stack, running_stack

WINDOW = 10  # submit_sm in flight on the session: notify's SMPP_WINDOW, and the client alone's green threads
TENANT = "gs-city"
SMPP_ENV = {"SMS_PROVIDER": "smpp", "SMPP_HOST": "127.0.0.1", "SMPP_SYSTEM_ID": "sunlight",
            "SMPP_PASSWORD": "secret", "SMS_RETRY_BASE_MS": "200", "SMS_RETRY_CAP_SECONDS": "2",
            "SMPP_WINDOW": str(WINDOW)}  # notify's own workers (config.yml) outnumber the window


@dataclass
class SmsFigures:
    notify: Figure
    client: Figure
    lost: int
    duplicated: int
    parts_per_message: int


def mobile(batch: int, i: int) -> str:
    """A distinct mainland mobile per message, so notify's per-recipient rate limit never holds one back."""
    return f"15{batch * 100_000 + i:09d}"


def _event(batch: int, i: int) -> dict[str, object]:
    number = f"GS-2026-{batch:02d}{i:05d}"
    return new_event(CERTIFICATE_ISSUED, number, {
        "certificate_number": f"拱城管(招牌)许字(2026)第{batch:02d}{i:04d}号", "kind": "permit",
        "item_name": "店招店牌（户外广告）设置审批", "tenant": TENANT,
        "holder": {"name": "张伟", "mobile": mobile(batch, i)}, "issued_at": datetime.now(UTC),
    }, datetime.now(UTC)).to_message()


def _publish(stack: Stack, bodies: list[dict[str, object]]) -> None:
    from kombu import Connection, Exchange, Producer

    with Connection(stack.amqp_uri, transport_options={"confirm_publish": True}) as connection:
        exchange = Exchange("registry.events", type="topic", durable=True)
        producer = Producer(connection.channel())
        for body in bodies:
            producer.publish(body, exchange=exchange, routing_key=CERTIFICATE_ISSUED, serializer="json",
                             delivery_mode=2, declare=[exchange])


def _received(smsc: FakeSmsc, batch: int, n: int) -> dict[str, int]:
    """Whole messages the SMSC took for this batch's holders, per holder."""
    wanted = {mobile(batch, i) for i in range(n)}
    return {phone: len(messages) for phone, messages in smsc.messages().items() if phone in wanted}


def _through_notify(stack: Stack, smsc: FakeSmsc, batch: int, n: int, timeout: float = 300) -> tuple[float, int, int]:
    """Messages/s for ``n`` completion SMS; and how many were lost and duplicated at the SMSC."""
    bodies = [_event(batch, i) for i in range(n)]
    started = time.perf_counter()
    _publish(stack, bodies)
    deadline = time.monotonic() + timeout
    while sum(_received(smsc, batch, n).values()) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    time.sleep(1)  # a duplicate would come after the last first copy: give it the chance to show
    got = _received(smsc, batch, n)
    return n / elapsed, n - len(got), sum(count - 1 for count in got.values())


def completion_text(i: int) -> str:
    templates = domain.parse_templates(yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))["templates"])
    values = {"holder_name": "张伟", "item_name": "店招店牌（户外广告）设置审批",
              "certificate_number": f"拱城管(招牌)许字(2026)第{i:06d}号", "window": tenant(TENANT).window}
    return domain.render(templates["certificate_issued"], values, signature=tenant(TENANT).sms_signature,
                         recipient=mobile(99, i)).text


def _client_alone(smsc: FakeSmsc, batch: int, n: int) -> float:
    """Messages/s through ``SmppProvider`` alone: WINDOW green threads, each message's parts in turn."""
    provider = SmppProvider(host="127.0.0.1", port=smsc.port, system_id="sunlight", password="secret",  # noqa: S106 - the fake SMSC's
                            source_addr="106900", on_receipt=lambda _receipt: None)
    texts = [completion_text(i) for i in range(n)]

    def send(i: int) -> None:
        for segment in domain.segments(texts[i], reference=i + 1):
            provider.submit(mobile(batch, i), segment, i + 1)

    try:
        send(0)  # bind first: the notify figure is measured on a bound session too
        started = time.perf_counter()
        list(eventlet.GreenPool(WINDOW).imap(send, range(n)))
        rate = n / (time.perf_counter() - started)
        eventlet.sleep(0.5)  # the last receipts are answered before the session unbinds
        return rate
    finally:
        provider.close()


@contextmanager
def _stack_with_smsc(run_dir: Path) -> Iterator[tuple[Stack, FakeSmsc]]:
    # the fake SMSC reads a session's PDUs in turn and sleeps out each receipt's delay before reading the
    # next submit_sm (a window of one: 20 submits/s); with receipts sent at once it answers as fast as it journals
    with running_smsc(run_dir / "smsc.jsonl", "--receipt-delay", "0") as smsc, running_stack(
            run_dir, services=("notify",), extra_env={**SMPP_ENV, "SMPP_PORT": str(smsc.port)}) as stack:
        yield stack, smsc


def measure(run_dir: Path, messages: int) -> SmsFigures:
    """Both figures in one run, REPEATS times each; lost and duplicated summed over every repeat."""
    run_dir.mkdir(parents=True, exist_ok=True)
    notify, client = Figure("messages/s"), Figure("messages/s")
    lost = duplicated = 0
    with _stack_with_smsc(run_dir) as (stack, smsc):
        _through_notify(stack, smsc, 0, 20)  # warm up: queues bound, SMPP session bound
        for repeat in range(REPEATS):
            rate, missing, twice = _through_notify(stack, smsc, repeat + 1, messages)
            notify.values.append(rate)
            lost, duplicated = lost + missing, duplicated + twice
            client.values.append(_client_alone(smsc, 50 + repeat, messages))
    return SmsFigures(notify, client, lost, duplicated, len(domain.segments(completion_text(0), 1)))
