"""Fault 1: every service's link to RabbitMQ is cut mid-stream, new connections refused for a while, then healed.

The services must reconnect by themselves; events committed while the broker was unreachable wait in
the outbox and are published afterwards; the books balance.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.faults.books import Driver, check_books, patiently, settled
from tests.faults.conftest import FaultyStack
from tools.stack import SERVICES

pytestmark = [pytest.mark.fault, pytest.mark.integration]

OUTAGE_SECONDS = 5


def test_services_reconnect_after_the_broker_link_is_cut_and_nothing_is_lost(faulty: FaultyStack, rpc: Any) -> None:
    cut_the_broker_link(faulty, rpc, OUTAGE_SECONDS)


def cut_the_broker_link(faulty: FaultyStack, rpc: Any, outage: float) -> None:
    """Drive cases, cut every service's broker link for ``outage`` seconds, heal, check the books."""
    driver = Driver(faulty.stack).start()
    driver.wait_for_cases(2)

    before = faulty.broker.accepted
    cut = faulty.broker.cut(refuse=True)
    assert cut >= len(SERVICES), "every service had a broker connection to cut"
    time.sleep(outage)
    faulty.broker.heal()
    healed_at = time.monotonic()

    for service in SERVICES:  # each answers over the broker again: its consumers are back
        patiently(lambda s=service: getattr(rpc, s).ping(), what=f"{service} to answer after the cut", timeout=90)
    reconnected = time.monotonic() - healed_at
    assert faulty.broker.accepted > before, "the services opened new connections by themselves"

    driver.wait_for_cases(len(driver.numbers) + 2)
    numbers = driver.stop()
    drained = settled(faulty.stack, numbers, rpc)
    books = check_books(faulty.stack, numbers, rpc)
    print(f"\nRELIABILITY broker-cut backend={faulty.backend} cases={books['cases']} events={books['events']} "
          f"outage={outage:.0f}s all-answer-after-heal={reconnected:.1f}s books-settled={drained:.1f}s")
