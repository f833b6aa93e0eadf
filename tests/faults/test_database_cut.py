"""Fault 3: one service's link to PostgreSQL is cut mid-stream (new connections refused), then healed.

Registry is the victim: it holds the fees and the certificates. While its database is unreachable its
RPCs fail and the events it consumes are retried; afterwards its pool reconnects (pre-ping) and the
books balance: no certificate lost, none issued twice.

It once lost a certificate in 2 of 5 runs: registry's approval retries were declared on a pooled
connection where the acceptance handler had already declared the shared retry queue, so kombu skipped
their binding and the broker dropped them as unroutable (sunlight.messaging.retry_binding).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.faults.books import Driver, check_books, patiently, settled
from tests.faults.conftest import FaultyStack
from tests.integration.support import metric

pytestmark = [pytest.mark.fault, pytest.mark.integration]

BACKEND = "postgresql"
DB_SERVICE = "registry"
OUTAGE_SECONDS = 5


def test_a_service_survives_its_database_link_being_cut(faulty: FaultyStack, rpc: Any) -> None:
    assert faulty.database is not None
    driver = Driver(faulty.stack).start()
    driver.wait_for_cases(2)

    cut = faulty.database.cut(refuse=True)
    assert cut >= 1, "registry had a database connection to cut"
    time.sleep(OUTAGE_SECONDS)
    faulty.database.heal()
    healed_at = time.monotonic()
    # an answer that needs the database, not just the broker
    patiently(lambda: rpc.registry.certificate_for_case(driver.numbers[0]), what="registry to read again",
              timeout=60)
    recovered = time.monotonic() - healed_at

    driver.wait_for_cases(len(driver.numbers) + 2)
    numbers = driver.stop()
    drained = settled(faulty.stack, numbers, rpc)
    books = check_books(faulty.stack, numbers, rpc)
    dead = metric(faulty.stack, "registry", "sunlight_events_dead_lettered_total")
    assert dead == 0, "an event registry could not handle during the outage was dead-lettered"
    print(f"\nRELIABILITY db-cut service={DB_SERVICE} backend={faulty.backend} cases={books['cases']} "
          f"events={books['events']} outage={OUTAGE_SECONDS}s reads-again-after-heal={recovered:.1f}s "
          f"books-settled={drained:.1f}s")
