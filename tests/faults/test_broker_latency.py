"""Fault 4: latency on every service's link to RabbitMQ: slower, never wrong."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.faults.books import Driver, check_books, settled
from tests.faults.conftest import FaultyStack

pytestmark = [pytest.mark.fault, pytest.mark.integration]

LATENCY_SECONDS = 0.05  # each chunk, each direction: a slow WAN link between a district office and the broker


def test_latency_on_the_broker_link_slows_cases_but_loses_nothing(faulty: FaultyStack, rpc: Any) -> None:
    driver = Driver(faulty.stack).start()
    driver.wait_for_cases(1)
    faulty.broker.add_latency(LATENCY_SECONDS)
    started = time.monotonic()
    driver.wait_for_cases(len(driver.numbers) + 3)
    per_case = (time.monotonic() - started) / 3
    faulty.broker.heal()
    numbers = driver.stop()
    drained = settled(faulty.stack, numbers, rpc)
    books = check_books(faulty.stack, numbers, rpc)
    print(f"\nRELIABILITY latency={LATENCY_SECONDS * 1000:.0f}ms backend={faulty.backend} cases={books['cases']} "
          f"events={books['events']} seconds-per-case-under-latency={per_case:.1f} books-settled={drained:.1f}s")
