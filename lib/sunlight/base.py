"""What every Sunlight service has: metrics, the Redis singleton lock, the outbox relay timer and ping."""

from __future__ import annotations

import logging

from nameko.timer import timer

from sunlight.db import Store
from sunlight.locks import Redis, Singleton
from sunlight.logs import LogContext
from sunlight.metrics import Metrics
from sunlight.rpc import rpc

log = logging.getLogger(__name__)

OUTBOX_RELAY_INTERVAL = 2.0


class ServiceBase:
    """Mixed into each nameko service class, which adds ``name`` and ``db = Database(...)``."""

    name: str
    db: Store
    singleton: Singleton = Redis()
    metrics = Metrics()
    log_context = LogContext()

    @rpc  # type: ignore[untyped-decorator]
    def ping(self) -> str:
        """Liveness over the broker itself (what /healthz cannot show): answers with the service name."""
        return self.name

    @timer(interval=OUTBOX_RELAY_INTERVAL)  # type: ignore[untyped-decorator]
    def relay_outbox(self) -> None:
        """Mark what the broker confirmed (each replica its own), then publish events a crash or a broker
        outage left in the outbox (one replica at a time)."""
        self.db.relay.mark_confirmed()
        # a pass publishes at most BATCH_LIMIT events (a second or two); a replica killed mid-pass holds the
        # lock until it expires, and the leftovers of its crash wait that long: short, as a rare overlap
        # only publishes some events twice, which every consumer drops
        with self.singleton("outbox-relay", ttl_seconds=15) as mine:
            if mine:
                published = self.db.relay.publish_pending()
                if published:
                    log.info("outbox relay published %d left-behind event(s)", published)
