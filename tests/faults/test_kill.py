"""Fault 2: services SIGKILLed mid-stream (whatever transaction or delivery they were in), then restarted.

Uncommitted work rolls back, unacked deliveries come back, committed but unpublished events leave
through the outbox relay, and the books balance.
"""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest

from tests.faults.books import Driver, check_books, patiently, settled
from tests.faults.conftest import FaultyStack

pytestmark = [pytest.mark.fault, pytest.mark.integration]

VICTIMS = ("workflow", "registry", "supervision")


def test_a_service_killed_mid_stream_comes_back_and_nothing_is_lost(faulty: FaultyStack, rpc: Any) -> None:
    driver = Driver(faulty.stack).start()
    driver.wait_for_cases(1)
    recovery: dict[str, float] = {}
    for victim in VICTIMS:
        killed = faulty.stack.processes[victim]
        faulty.stack.stop(victim, signal.SIGKILL)
        assert killed.returncode == -signal.SIGKILL
        time.sleep(1)
        started = time.monotonic()
        faulty.start(victim)
        patiently(lambda v=victim: getattr(rpc, v).ping(), what=f"{victim} to answer after its restart", timeout=90)
        recovery[victim] = time.monotonic() - started
        driver.wait_for_cases(len(driver.numbers) + 1)
    numbers = driver.stop()
    drained = settled(faulty.stack, numbers, rpc)
    books = check_books(faulty.stack, numbers, rpc)
    times = " ".join(f"{v}={t:.1f}s" for v, t in recovery.items())
    print(f"\nRELIABILITY sigkill backend={faulty.backend} cases={books['cases']} events={books['events']} "
          f"restart-to-answer: {times} books-settled={drained:.1f}s")
