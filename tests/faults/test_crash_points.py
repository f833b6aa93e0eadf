"""Fault 2, at a precise point: registry SIGKILLed inside the unit of work that issues a certificate.

test_kill kills at a random moment; here registry is started with ``SUNLIGHT_CRASH_AT`` (see
sunlight.crashpoints) and kills itself while issuing a certificate: with the rows flushed but not
committed, after the commit but before the outbox publish, and after the publish but before the
outbox row is marked. Each time it is restarted, the clerk goes on, and in the end every paid case
has exactly one certificate and one completion SMS, every event is once in the audit log. On SQLite
and on PostgreSQL (where the killed transaction holds row locks until the server sees the client gone).
"""

from __future__ import annotations

import signal
import time
from typing import Any

import pytest

from sunlight.contracts import CERTIFICATE_ISSUED
from sunlight.crashpoints import POINTS
from tests.faults.books import Driver, check_books, patiently, settled, unpublished
from tests.faults.conftest import FaultyStack
from tests.integration.support import query

pytestmark = [pytest.mark.fault, pytest.mark.integration,
              pytest.mark.parametrize("faulty", ["sqlite", "postgresql"], indirect=True, scope="module")]


def _count(faulty: FaultyStack, sql: str, **params: Any) -> int:
    return int(query(faulty.stack, "registry", sql, **params)[0][0])


def _certificates(faulty: FaultyStack) -> int:
    return _count(faulty, "SELECT count(*) FROM certificates")


def _unmarked_issues(faulty: FaultyStack) -> int:
    return _count(faulty, "SELECT count(*) FROM outbox WHERE event_type = :issued AND published_at IS NULL",
                  issued=CERTIFICATE_ISSUED)


def test_registry_killed_at_each_point_of_issuing_a_certificate_loses_and_duplicates_nothing(
        faulty: FaultyStack, rpc: Any) -> None:
    numbers: list[str] = []
    recovery: dict[str, float] = {}
    for round_, point in enumerate(POINTS):
        # what the last crash left in the outbox is relayed first, so this round's leftovers are its own
        patiently(lambda: unpublished(faulty.stack, "registry") == 0 or None, what="registry's outbox to drain",
                  timeout=120)
        faulty.stack.stop("registry")
        faulty.stack.start("registry", {**faulty.env("registry"), "SUNLIGHT_CRASH_AT": f"{point}:{CERTIFICATE_ISSUED}"})
        faulty.stack.wait_healthy()
        armed = faulty.stack.processes["registry"]
        issued_before = _certificates(faulty)
        driver = Driver(faulty.stack, first_index=9000 + 100 * round_).start()
        patiently(lambda p=armed: p.poll(), what=f"registry to kill itself at {point}", timeout=120)
        assert armed.returncode == -signal.SIGKILL

        # the database as the crash left it: the point is where it says it is
        if point == "before-commit":
            assert _certificates(faulty) == issued_before, "the uncommitted certificate was rolled back"
        else:
            assert _certificates(faulty) == issued_before + 1, "the certificate was committed"
            assert _unmarked_issues(faulty) == 1, "its certificate.issued still waits in the outbox"

        started = time.monotonic()
        faulty.start("registry")  # without the crash point, as an operator restarts it
        patiently(lambda: rpc.registry.ping(), what="registry to answer after its restart", timeout=90)
        recovery[point] = time.monotonic() - started
        driver.wait_for_cases(len(driver.numbers) + 1)
        numbers += driver.stop()

    drained = settled(faulty.stack, numbers, rpc)
    books = check_books(faulty.stack, numbers, rpc)
    times = " ".join(f"{p}={t:.1f}s" for p, t in recovery.items())
    print(f"\nRELIABILITY crash-points backend={faulty.backend} cases={books['cases']} events={books['events']} "
          f"restart-to-answer: {times} books-settled={drained:.1f}s")
