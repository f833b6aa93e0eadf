"""Load shapes shared by the end-to-end benches: a pool of RPC clients, closed and open loops, percentiles.

Closed loop: ``windows`` workers each start the next job when their last one is done (throughput).
Open loop: jobs start on a fixed schedule whatever the system does, and each latency is counted
from the instant the job was due, so a stall shows up in the tail instead of slowing the load down.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import eventlet

from tools.stack import Stack

T = TypeVar("T")


@contextmanager
def rpc_clients(stack: Stack, count: int, timeout: float = 60) -> Iterator[Any]:
    """A queue of ``count`` started RPC clients (one per green thread at a time); all stopped afterwards."""
    from sunlight.rpc import RpcClient

    clients: Any = eventlet.Queue()
    opened = [RpcClient(stack.amqp_uri, timeout=timeout).start() for _ in range(count)]
    for client in opened:
        clients.put(client)
    try:
        yield clients
    finally:
        for client in opened:
            client.stop()


def with_client(clients: Any, job: Callable[[Any, int], T]) -> Callable[[int], T]:
    """``job(rpc, i)`` run with a client borrowed from the queue for its duration."""
    def run(i: int) -> T:
        rpc = clients.get()
        try:
            return job(rpc, i)
        finally:
            clients.put(rpc)
    return run


def closed_loop(job: Callable[[int], T], jobs: range, windows: int) -> tuple[float, list[T]]:
    """Jobs per second with ``windows`` at a time; and each job's result."""
    started = time.perf_counter()
    results = list(eventlet.GreenPool(windows).imap(job, jobs))
    return len(jobs) / (time.perf_counter() - started), results


def for_duration(job: Callable[[int], T], seconds: float, windows: int, first: int = 0) -> tuple[float, list[T]]:
    """Jobs per second with ``windows`` at a time, each starting a next job until ``seconds`` have passed."""
    results: list[T] = []
    numbers = iter(range(first, first + 10**9))
    started = time.perf_counter()
    deadline = started + seconds

    def worker() -> None:
        while time.perf_counter() < deadline:
            results.append(job(next(numbers)))

    pool = eventlet.GreenPool(windows)
    for _ in range(windows):
        pool.spawn_n(worker)
    pool.waitall()
    return len(results) / (time.perf_counter() - started), results


def open_loop(job: Callable[[int], Any], count: int, per_second: float) -> list[float]:
    """Start ``count`` jobs at ``per_second``; each one's seconds from when it was due until it finished."""
    latencies: list[float] = []
    pool = eventlet.GreenPool(100_000)
    started = time.perf_counter()

    def timed(i: int, due: float) -> None:
        job(i)
        latencies.append(time.perf_counter() - due)

    for i in range(count):
        due = started + i / per_second
        wait = due - time.perf_counter()
        if wait > 0:
            eventlet.sleep(wait)
        pool.spawn_n(timed, i, due)
    pool.waitall()
    return latencies


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]
