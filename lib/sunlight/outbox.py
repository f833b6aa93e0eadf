"""Publish what units of work wrote to the outbox, right after commit and again from a timer.

Publishing is at-least-once: a crash between publish and mark re-publishes on the next relay
pass, and every consumer drops an ``event_id`` it has already processed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange
from sqlalchemy import Engine, Table, func, select, update

from sunlight import crashpoints, metrics

log = logging.getLogger(__name__)


class OutboxRelay:
    """Moves events from a service's outbox table to its ``<service>.events`` exchange."""

    def __init__(self, engine: Engine, outbox: Table, service: str, amqp_uri: str) -> None:
        self.engine = engine
        self.outbox = outbox
        self.service = service
        self.exchange = get_event_exchange(service)
        # events must not be lost: persistent messages with publisher confirms
        self.publisher = Publisher(amqp_uri, use_confirms=True, declare=[self.exchange])
        # after a commit, in the caller's request: fail fast; the relay timer retries with patience
        self.fail_fast = {"max_retries": 0}

    def publish_now(self, event_ids: Sequence[str]) -> int:
        """Publish just-committed events; on a broker failure leave them for the timer."""
        try:
            return self._publish(self.outbox.c.event_id.in_(list(event_ids)), retry_policy=self.fail_fast)
        except Exception:  # the broker is down or the connection broke: the timer retries
            log.warning("outbox: publish after commit failed; relay timer will retry", exc_info=True)
            return 0

    def publish_pending(self, older_than: timedelta = timedelta(seconds=5), limit: int = 500) -> int:
        """Publish what a crash or a broker outage left behind."""
        cutoff = datetime.now(UTC) - older_than
        published = self._publish(self.outbox.c.created_at <= cutoff, limit=limit)
        metrics.OUTBOX_PENDING.labels(self.service).set(self.pending_count())
        return published

    def pending_count(self) -> int:
        with self.engine.connect() as connection:
            count = connection.execute(
                select(func.count()).select_from(self.outbox).where(
                    self.outbox.c.published_at.is_(None)
                )
            ).scalar_one()
        return int(count)

    def _publish(self, condition: object, limit: int = 500, retry_policy: dict[str, Any] | None = None) -> int:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(self.outbox.c.id, self.outbox.c.event_type, self.outbox.c.body)
                .where(self.outbox.c.published_at.is_(None), condition)  # type: ignore[arg-type]
                .order_by(self.outbox.c.id)
                .limit(limit)
            ).all()
        done: list[int] = []
        try:
            for row in rows:
                options = {"retry_policy": retry_policy} if retry_policy else {}
                self.publisher.publish(
                    json.loads(row.body), exchange=self.exchange, routing_key=row.event_type, **options
                )
                done.append(row.id)
            crashpoints.reach("after-publish", (row.event_type for row in rows))
        finally:
            self._mark_published(done)
        metrics.EVENTS_PUBLISHED.labels(self.service).inc(len(done))
        return len(done)

    def _mark_published(self, ids: list[int]) -> None:
        if not ids:
            return
        with self.engine.begin() as connection:
            connection.execute(
                update(self.outbox)
                .where(self.outbox.c.id.in_(ids))
                .values(published_at=datetime.now(UTC))
            )
