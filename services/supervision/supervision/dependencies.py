"""Supervision's Redis index of deadlines: one sorted set, case number scored by its next light's instant.

The database stays the record (``case_clocks.next_light_at``); the set only lets a tick find what fell due
with ``ZRANGEBYSCORE`` instead of scanning a million open clocks, and is rebuilt from the database whenever
Redis has lost it (the ``built`` marker is gone) or could not take an update (Redis unreachable while an
event moved a case's next light: the set may be wrong although the marker is still there).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import redis
from nameko import config
from nameko.extensions import DependencyProvider

from sunlight import metrics
from sunlight.batching import WriteBatcher
from sunlight.db import store_of
from supervision import recording, settings

log = logging.getLogger(__name__)


class DueIndex:
    """Case numbers by the instant their next light falls due."""

    def __init__(self, client: redis.Redis, key: str) -> None:
        self.client = client
        self.key = key
        self.built_key = f"{key}:built"
        self.missed_update = False

    def schedule(self, case_number: str, at: datetime | None) -> None:
        """Put the case at its next light's instant, or take it out when none is left.

        The database already holds the instant: if Redis cannot take it, the next tick of this process
        rebuilds the set from the database instead of failing the event (whose retry would find it
        processed and never schedule it).
        """
        self.schedule_many({case_number: at})

    def schedule_many(self, next_lights: Mapping[str, datetime | None]) -> None:
        """``schedule`` for several cases, in one round trip."""
        if not next_lights:
            return
        try:
            pipe = self.client.pipeline(transaction=False)
            due = {number: at.timestamp() for number, at in next_lights.items() if at is not None}
            if due:
                pipe.zadd(self.key, due)
            done = [number for number, at in next_lights.items() if at is None]
            if done:
                pipe.zrem(self.key, *done)
            pipe.execute()
        except redis.RedisError as exc:
            self.missed_update = True
            log.warning("redis unavailable; the next lights of %s are rebuilt from the database: %s",
                        ", ".join(next_lights), exc)

    def due(self, now: datetime, limit: int) -> list[str]:
        """Up to ``limit`` cases whose next light is at or before ``now``, earliest first."""
        members = self.client.zrangebyscore(self.key, "-inf", now.timestamp(), start=0, num=limit)
        return [m.decode() if isinstance(m, bytes) else str(m) for m in members]

    def is_built(self) -> bool:
        """False after Redis lost the set (restart without persistence, flush) or missed an update: rebuild."""
        return not self.missed_update and bool(self.client.exists(self.built_key))

    def rebuild(self, pending: Iterable[tuple[str, datetime]], batch: int = 10_000) -> int:
        """Load every (case, next light) from the database record; returns how many."""
        self.missed_update = False  # an update missed from now on is caught by the next rebuild
        count, chunk = 0, dict[str, float]()
        for case_number, at in pending:
            chunk[case_number] = at.timestamp()
            if len(chunk) >= batch:
                self.client.zadd(self.key, chunk)
                count, chunk = count + len(chunk), {}
        if chunk:
            self.client.zadd(self.key, chunk)
        count += len(chunk)
        self.client.set(self.built_key, "1")
        return count

    def size(self) -> int:
        """How many cases wait for a light."""
        return int(self.client.zcard(self.key))


class Deadlines(DependencyProvider):  # type: ignore[misc]
    """DependencyProvider handing workers the deadline index on the service's Redis."""

    def setup(self) -> None:
        uri = config.get("REDIS_URI", "redis://localhost:6379/0")
        prefix = str(config.get("REDIS_PREFIX", "sunlight"))
        self.client = redis.Redis.from_url(uri, socket_timeout=5, socket_connect_timeout=5)
        self.index = DueIndex(self.client, f"{prefix}:supervision:deadlines")

    def stop(self) -> None:
        self.client.close()

    def get_dependency(self, worker_ctx: Any) -> DueIndex:
        return self.index


class EventRecorder(DependencyProvider):  # type: ignore[misc]
    """Gives workers ``record(received)``: the events received meanwhile, recorded in one transaction.

    ``record`` returns once its event is committed and the next lights of the batch's cases are in Redis,
    so the delivery is acknowledged only then, as when each event was recorded alone.
    """

    def setup(self) -> None:
        limit, linger = settings.recording_batch()
        self.batcher: WriteBatcher[recording.Received] = WriteBatcher(self._write, limit, linger)
        # its index is made by its own set-up, which may come after this one: read at each write
        self.deadlines = next(e for e in self.container.dependencies if isinstance(e, Deadlines))

    def _write(self, batch: Sequence[recording.Received]) -> None:
        with store_of(self.container).unit_of_work() as uow:
            done = recording.record(uow, batch, settings.now(), settings.rules())
        for source, count in done.sources.items():
            metrics.AUDIT_RECORDS.labels(source).inc(count)
        if done.repeats:
            metrics.EVENTS_DUPLICATE.labels("supervision", "record_event").inc(done.repeats)
        self.deadlines.index.schedule_many(done.next_lights)

    def get_dependency(self, worker_ctx: Any) -> Callable[[recording.Received], None]:
        return self.batcher.submit
