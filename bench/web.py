"""The public status lookup through the gateway, and the on-the-spot fast track, against the running stack.

Status lookup: ``GET /api/applications/<number>/status?code=`` (gateway → intake and workflow over
RPC) at a fixed 200 requests/s, p99 from when each request was due; and the most it answers with
``WINDOWS`` requests at a time. Baseline: ``GET /healthz`` from the same nameko HTTP stack (a static
JSON answer, no RPC), measured the same two ways in the same run. Each request is a new HTTP
connection, as a phone's browser opening the status link makes.

On the spot: the one-level fast track (HZ-DJ-0101, accept → handle → approve, on the spot) submitted at
10 applications/s; each one's time from submit until registry has issued its certificate. As end to end
(bench.cases), each official acts when workflow says it created their task and the driver reads the
certificate when registry says it issued it (bench.events), with a read every second as the fallback.
"""

from __future__ import annotations

import urllib.request
from typing import Any

from bench.events import FALLBACK_SECONDS, case_events
from bench.figures import REPEATS, Figure
from bench.load import closed_loop, open_loop, percentile, rpc_clients, with_client
from tools.drive import decide, pay_fees, sample_application, wait_for
from tools.stack import Stack

RATE = 200  # requests per second the p99 target is stated at
WINDOWS = 20
FAST_TRACK = "HZ-DJ-0101"


def _get(url: str) -> None:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - the bench's own gateway
        response.read()
        assert response.status == 200, response.status


def status_urls(stack: Stack, count: int, batch: str) -> list[str]:
    """Status links of ``count`` real applications (their cases open at the co-review)."""
    with stack.rpc_client(timeout=60) as rpc:
        receipts = [rpc.intake.submit_application(sample_application(i, item_code="GS-CG-0201", batch=batch))
                    for i in range(count)]
        for receipt in receipts:  # workflow has opened the case: the status shows its stage
            wait_for(lambda r=receipt: rpc.workflow.get_case(r["application_number"]), timeout=60,
                     what=f"the case of {receipt['application_number']}")
    return [f"{stack.web_url}/api/applications/{r['application_number']}/status?code={r['query_code']}"
            for r in receipts]


def http_figures(urls: list[str], seconds: float) -> tuple[float, float]:
    """(p99 ms at RATE requests/s, requests/s with WINDOWS at a time) for GETs cycling through ``urls``."""
    count = int(RATE * seconds)
    latencies = open_loop(lambda i: _get(urls[i % len(urls)]), count, RATE)
    assert len(latencies) == count, f"{count - len(latencies)} requests failed"
    per_second, _ = closed_loop(lambda i: _get(urls[i % len(urls)]), range(min(count, 300)), WINDOWS)
    return percentile(latencies, 99) * 1000, per_second


def status_lookup(stack: Stack, seconds: float) -> tuple[Figure, Figure, Figure, Figure]:
    """Status p99 and req/s, then the static baseline's, REPEATS times each, alternating."""
    urls = status_urls(stack, 50, batch="status/")
    static = [f"{stack.web_url}/healthz"]
    http_figures(urls, 1)  # warm up: connections to the broker, statement caches
    p99, rate, static_p99, static_rate = (Figure("ms"), Figure("requests/s"), Figure("ms"), Figure("requests/s"))
    for _ in range(REPEATS):
        for (latency, throughput), target in ((http_figures(urls, seconds), (p99, rate)),
                                              (http_figures(static, seconds), (static_p99, static_rate))):
            target[0].values.append(latency)
            target[1].values.append(throughput)
    return p99, rate, static_p99, static_rate


def on_the_spot(stack: Stack, count: int, batch: str, per_second: float = 10) -> list[float]:
    """Submit → certificate issued, seconds, for ``count`` fast-track registrations at ``per_second``."""
    with case_events(stack.amqp_uri) as events, rpc_clients(stack, min(count, 60)) as clients:
        def one(rpc: Any, i: int) -> None:
            receipt = rpc.intake.submit_application(sample_application(i, item_code=FAST_TRACK, batch=batch))
            number = receipt["application_number"]
            with events.watch(number) as watch:
                decide(rpc, number, timeout=60, every=FALLBACK_SECONDS, pause=watch.until("task.created", "case.*"))
                pay_fees(rpc, receipt, timeout=60)
                wait_for(lambda: rpc.registry.certificate_for_case(number), timeout=60,
                         what=f"the certificate of {number}", every=FALLBACK_SECONDS,
                         pause=watch.until("certificate.issued"))

        return open_loop(with_client(clients, one), count, per_second)
