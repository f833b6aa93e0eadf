"""Redis for the fast path: a lock so that timer work runs in one replica at a time.

Redis is never the only copy of anything: a lost lock only means a tick runs twice or late, and
every effect behind a tick is idempotent in the database.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis
from nameko import config
from nameko.extensions import DependencyProvider

log = logging.getLogger(__name__)


class Singleton:
    """Run a block in at most one replica: ``with singleton("outbox-relay") as mine: ...``."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    @contextmanager
    def __call__(self, name: str, ttl_seconds: float = 30) -> Iterator[bool]:
        lock = self.client.lock(f"{self.prefix}:lock:{name}", timeout=ttl_seconds, blocking=False)
        try:
            acquired = bool(lock.acquire(blocking=False))
        except redis.RedisError:
            # Redis down: run anyway; the work behind every tick is idempotent
            log.warning("redis unavailable; running %s without the singleton lock", name)
            yield True
            return
        try:
            yield acquired
        finally:
            if acquired:
                try:
                    lock.release()
                except redis.RedisError:
                    log.warning("could not release lock %s; it expires by itself", name)


class Redis(DependencyProvider):  # type: ignore[misc]
    """DependencyProvider giving a worker the service's Redis client and a singleton lock."""

    def setup(self) -> None:
        uri = config.get("REDIS_URI", "redis://localhost:6379/0")
        self.client = redis.Redis.from_url(uri, socket_timeout=5, socket_connect_timeout=5)
        self.prefix = str(config.get("REDIS_PREFIX", "sunlight"))
        self.singleton = Singleton(self.client, f"{self.prefix}:{self.container.service_name}")

    def stop(self) -> None:
        self.client.close()

    def get_dependency(self, worker_ctx: Any) -> Singleton:
        return self.singleton
