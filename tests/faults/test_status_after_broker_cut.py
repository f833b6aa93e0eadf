"""Fault 7 at the public door: the gateway's kept-open RPC clients outlive a cut of its broker link.

The public status lookup borrows an RPC client the gateway keeps started between requests
(sunlight.rpc.KeptRpc). A cut kills every idle client's connection and reply queue; the first lookup
after the link is healed must answer in a few seconds, not after the 30-second RPC timeout, and every
answer must be the case that was asked for (a late reply is never taken for another lookup's).
"""

from __future__ import annotations

import json
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.faults.books import patiently, submit_patiently
from tests.faults.conftest import FaultyStack
from tools.stack import GATEWAY, SERVICES

pytestmark = [pytest.mark.fault, pytest.mark.integration]

SERVICE_SETTINGS = {"STATUS_CACHE_SECONDS": "0"}  # every lookup goes over RPC, none is answered from memory
PROMPT_SECONDS = 5  # far under the RPC timeout (30 s) a dead client used to cost
LOOKERS = 4  # concurrent lookups before the cut: the gateway keeps several clients idle


def status(faulty: FaultyStack, number: str, code: str, timeout: float = 60) -> dict[str, Any]:
    url = f"{faulty.stack.web_url}/api/applications/{number}/status?code={code}"
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - the test's own gateway
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def test_the_first_status_lookup_after_a_broker_cut_answers_promptly(faulty: FaultyStack, rpc: Any) -> None:
    faulty.start(GATEWAY)
    faulty.stack.wait_healthy()
    receipts = [submit_patiently(rpc, 7300 + i) for i in range(LOOKERS)]
    asked = [(r["application_number"], r["query_code"]) for r in receipts]
    for number, code in asked:
        patiently(lambda n=number, c=code: status(faulty, n, c), what=f"the status of {number}")
    with ThreadPoolExecutor(LOOKERS) as pool:  # several lookups at once: several clients left idle
        for _ in range(3):
            answers = list(pool.map(lambda a: status(faulty, *a), asked))
            assert [a["application_number"] for a in answers] == [n for n, _ in asked]

    assert faulty.broker.cut(refuse=True) > len(SERVICES), "the gateway's links were cut too"
    time.sleep(2)
    faulty.broker.heal()
    for service in ("intake", "workflow"):  # the lookup's two services take requests again
        patiently(lambda s=service: getattr(rpc, s).ping(), what=f"{service} to answer after the cut", timeout=90)

    timings = []
    with ThreadPoolExecutor(LOOKERS) as pool:  # as many lookups as idle clients: each meets a dead one
        for _ in range(2):
            started = time.monotonic()
            answers = list(pool.map(lambda a: status(faulty, *a), asked))
            timings.append(time.monotonic() - started)
            assert [a["application_number"] for a in answers] == [n for n, _ in asked], "each its own answer"
    print(f"\nRELIABILITY status-after-broker-cut first-round={timings[0]:.2f}s second-round={timings[1]:.2f}s")
    assert timings[0] < PROMPT_SECONDS, f"the first lookups after the cut took {timings[0]:.1f}s"
