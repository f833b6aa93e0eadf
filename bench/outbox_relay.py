"""The outbox relay alone: CPU and wall per event published after commit, against the local RabbitMQ.

``python -m bench.outbox_relay`` — intake's outbox on SQLite, a private vhost with one durable queue
bound to every intake event (so each message is routed and persisted, as in the stack). A unit of work
of N events is committed (not timed), then ``publish_now`` is timed: read the rows, publish, wait for
the broker's confirms, mark them. ``concurrent`` runs 8 greenlets each doing units of 5 events at once,
as 8 nameko workers of one service would. Prints the median of 5 repeats (and every repeat).
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import date, datetime, timedelta, timezone  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from kombu import Connection, Queue  # noqa: E402
from nameko.standalone.events import get_event_exchange  # noqa: E402

from intake.models import metadata, outbox  # noqa: E402
from intake.settings import MIGRATIONS  # noqa: E402
from sunlight.contracts import APPLICATION_ACCEPTED, new_event  # noqa: E402
from sunlight.db import Store, make_engine  # noqa: E402
from sunlight.migrations import upgrade_to_head  # noqa: E402
from sunlight.outbox import OutboxRelay  # noqa: E402
from tools.stack import create_vhost, delete_vhost  # noqa: E402

REPEATS = 5
NOW = datetime(2025, 3, 3, 9, 30, tzinfo=timezone(timedelta(hours=8)))
EVENTS_PER_REPEAT = 200
WORKERS = 8


class Held(OutboxRelay):
    """The unit of work leaves its events in the outbox; the benchmark publishes them itself."""

    def publish_now(self, event_ids: object) -> int:
        return 0


def accepted(number: str) -> dict[str, Any]:
    """An application.accepted payload of the usual size."""
    return {"application_number": number, "item_code": "shop-sign", "item_name": "户外招牌设置审批",
            "tenant": "xz", "process": "two-stage", "applicant": {"name": "张三", "mobile": "13800000000"},
            "accepted_at": NOW, "promised_date": date(2025, 3, 14), "certificate_kind": "permit",
            "fees_due": [], "form": {"sign": "招牌"}, "query_code": "482913", "permit_series": "招牌"}


def commit(store: Store, n: int) -> list[str]:
    ids = []
    with store.unit_of_work() as uow:
        for _ in range(n):
            number = f"XZ-2025-{uuid.uuid4().hex[:6]}"
            event = new_event(APPLICATION_ACCEPTED, number, accepted(number), NOW)
            uow.emit(event)
            ids.append(event.event_id)
    return ids


def one_repeat(store: Store, relay: OutboxRelay, n: int, workers: int) -> tuple[float, float]:
    """CPU and wall seconds per event over EVENTS_PER_REPEAT events, in units of ``n``."""
    units = [commit(store, n) for _ in range(max(EVENTS_PER_REPEAT // n, 1))]
    published = 0
    cpu, wall = time.process_time(), time.perf_counter()
    if workers == 1:
        for ids in units:
            published += relay.publish_now(ids)
    else:
        pool = eventlet.GreenPool(workers)
        published = sum(pool.imap(relay.publish_now, units))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    assert published == sum(map(len, units)), (published, sum(map(len, units)))
    return cpu / published, wall / published


def main() -> None:
    vhost = f"sunlight-bench-{uuid.uuid4().hex[:8]}"
    assert create_vhost(vhost), "rabbitmqctl could not create a vhost"
    amqp_uri = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    try:
        with tempfile.TemporaryDirectory() as tmp, Connection(amqp_uri) as connection:
            Queue("bench-listener", exchange=get_event_exchange("intake"), routing_key="#", durable=True,
                  channel=connection.channel()).declare()
            engine = make_engine(f"sqlite:///{Path(tmp) / 'intake.db'}", pool_size=WORKERS + 2)
            upgrade_to_head(engine, MIGRATIONS)
            tables = (metadata.tables["outbox"], metadata.tables["processed_events"])
            store = Store(engine, Held(engine, outbox, "intake", amqp_uri), tables, "intake")
            relay = OutboxRelay(engine, outbox, "intake", amqp_uri)
            relay.publish_now(commit(store, 1))  # warm up: connection, exchange declared
            for label, n, workers in (("N=1", 1, 1), ("N=5", 5, 1), ("N=50", 50, 1),
                                      (f"concurrent {WORKERS}×N=5", 5, WORKERS)):
                cpus, walls = zip(*(one_repeat(store, relay, n, workers) for _ in range(REPEATS)), strict=True)
                print(f"{label:>18}: CPU {statistics.median(cpus) * 1e3:.3f} ms/event, "
                      f"wall {statistics.median(walls) * 1e3:.3f} ms/event  "
                      f"(cpu {[round(c * 1e3, 3) for c in cpus]}, wall {[round(w * 1e3, 3) for w in walls]})")
            engine.dispose()
    finally:
        delete_vhost(vhost)


if __name__ == "__main__":
    main()
