"""Fault 3b: Redis flushed, restarted empty, and unreachable, mid-stream (issue 12: Redis is never the only copy).

The stack has a redis-server of its own behind a proxy. Redis holds supervision's index of when each
case's next light falls due and the singleton locks of the timers; each is a
fast path over a database (notify's SMS are kept once by their unique constraint alone). Two
applications are left waiting at their first post meanwhile, so supervision has lights to come:
after every fault the index must again hold each of them at the instant supervision's database
holds, so their lights fire. Then they are finished too, and the books balance: nothing duplicated
by a lost lock.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.faults.books import Driver, check_books, finish_patiently, patiently, settled, submit_patiently
from tests.faults.conftest import FaultyStack
from tests.integration.support import query

pytestmark = [pytest.mark.fault, pytest.mark.integration]

PRIVATE_REDIS = True
OUTAGE_SECONDS = 3


def next_lights(faulty: FaultyStack, cases: list[str]) -> dict[str, float]:
    """When supervision's database says each case's next light falls due (epoch seconds)."""
    rows = query(faulty.stack, "supervision", "SELECT case_number, next_light_at FROM case_clocks "
                 "WHERE next_light_at IS NOT NULL")
    # stored as naive UTC; SQLite hands it back as text
    found = {r.case_number: datetime.fromisoformat(str(r.next_light_at)) for r in rows if r.case_number in cases}
    return {case: at.replace(tzinfo=UTC).timestamp() for case, at in found.items()}


def indexed(faulty: FaultyStack, cases: list[str]) -> dict[str, float]:
    """When supervision's Redis index says each case's next light falls due."""
    assert faulty.redis is not None
    client = faulty.redis.client()
    try:
        key = f"{faulty.stack.redis_prefix}:supervision:deadlines"
        scores = {case: client.zscore(key, case) for case in cases}
    finally:
        client.close()
    return {case: score for case, score in scores.items() if score is not None}


def lights_to_come_are_indexed(faulty: FaultyStack, waiting: list[str], what: str) -> float:
    """Wait until the index holds every waiting case at its database instant; seconds taken."""
    started = time.monotonic()

    def agreed() -> bool | None:
        due = next_lights(faulty, waiting)
        return (len(due) == len(waiting) and indexed(faulty, waiting) == pytest.approx(due)) or None

    patiently(agreed, what=f"supervision's index to hold every light to come {what}", timeout=60)
    return time.monotonic() - started


def test_redis_flushed_restarted_and_cut_mid_stream_loses_and_duplicates_nothing(
        faulty: FaultyStack, rpc: Any) -> None:
    assert faulty.redis is not None and faulty.redis_link is not None
    waiting = [submit_patiently(rpc, 1000)]
    driver = Driver(faulty.stack).start()
    driver.wait_for_cases(1)
    lights_to_come_are_indexed(faulty, [r["application_number"] for r in waiting], "before any fault")
    recovered: dict[str, float] = {}

    faulty.redis.flush()
    recovered["flushed"] = lights_to_come_are_indexed(
        faulty, [r["application_number"] for r in waiting], "after FLUSHALL")
    driver.wait_for_cases(len(driver.numbers) + 1)

    faulty.redis.kill()
    faulty.redis.start()  # empty, as a restarted Redis without persistence is
    recovered["restarted"] = lights_to_come_are_indexed(
        faulty, [r["application_number"] for r in waiting], "after a restart")
    driver.wait_for_cases(len(driver.numbers) + 1)

    # unreachable while a new case's first light is decided: the database decides, the index catches up
    faulty.redis_link.cut(refuse=True)
    waiting.append(submit_patiently(rpc, 1001))
    time.sleep(OUTAGE_SECONDS)
    faulty.redis_link.heal()
    recovered["unreachable"] = lights_to_come_are_indexed(
        faulty, [r["application_number"] for r in waiting], "after Redis was unreachable")

    driver.wait_for_cases(len(driver.numbers) + 1)
    numbers = driver.stop() + [finish_patiently(rpc, receipt) for receipt in waiting]
    drained = settled(faulty.stack, numbers, rpc)
    books = check_books(faulty.stack, numbers, rpc)
    times = " ".join(f"{fault}={seconds:.1f}s" for fault, seconds in recovered.items())
    print(f"\nRELIABILITY redis backend={faulty.backend} cases={books['cases']} events={books['events']} "
          f"index-rebuilt-after: {times} books-settled={drained:.1f}s")
