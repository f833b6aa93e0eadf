"""Timer work runs in one replica at a time (real Redis); with Redis gone it still runs."""

from __future__ import annotations

import uuid

import eventlet
import redis

from sunlight.locks import Singleton


def singleton(prefix: str, port: int = 6379) -> Singleton:
    client = redis.Redis.from_url(f"redis://127.0.0.1:{port}/0", socket_timeout=1, socket_connect_timeout=1)
    return Singleton(client, prefix)


def test_two_replicas_ticking_together_do_the_work_once() -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    replicas = [singleton(prefix), singleton(prefix)]  # separate clients, like separate processes
    ran: list[int] = []

    def tick(index: int) -> None:
        with replicas[index]("outbox-relay", ttl_seconds=5) as mine:
            if mine:
                ran.append(index)
                eventlet.sleep(0.2)  # still working when the other replica's timer fires

    pool = eventlet.GreenPool()
    for index in (0, 1):
        pool.spawn(tick, index)
    pool.waitall()
    assert len(ran) == 1

    # the lock is released after the work, so the next tick runs again
    with replicas[1]("outbox-relay") as mine:
        assert mine


def test_a_replica_that_died_holding_the_lock_blocks_others_only_until_it_expires() -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    crashed = singleton(prefix).client.lock(f"{prefix}:lock:tick", timeout=0.3)
    assert crashed.acquire(blocking=False)  # and never released: the process was killed

    with singleton(prefix)("tick") as mine:
        assert not mine
    eventlet.sleep(0.4)
    with singleton(prefix)("tick") as mine:
        assert mine


def test_without_redis_the_work_still_runs() -> None:
    with singleton("test", port=1)("tick") as mine:  # nothing listens on port 1
        assert mine
