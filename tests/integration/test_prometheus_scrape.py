"""A real Prometheus (Debian's) scrapes the running services: the domain counters and the latency
histograms arrive with the labels the dashboards and alerts query."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from sunlight.calendar import PACKAGE_YEARS
from tools.drive import drive_one, sample_application, wait_for
from tools.stack import Stack, free_port, running_stack

PROMETHEUS = shutil.which("prometheus")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(PROMETHEUS is None, reason="prometheus not installed (apt-get install prometheus)"),
]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One backend is enough here: what is scraped does not depend on the database."""
    with running_stack(tmp_path_factory.mktemp("stack-prom")) as running:
        yield running


@pytest.fixture(scope="module")
def prometheus(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    assert PROMETHEUS is not None
    folder = tmp_path_factory.mktemp("prometheus")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [{
            "job_name": "sunlight",
            "static_configs": [{"targets": [f"127.0.0.1:{stack.metrics_ports[s]}" for s in stack.processes]}],
        }],
    }
    (folder / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    process = subprocess.Popen(
        [PROMETHEUS, f"--config.file={folder / 'prometheus.yml'}", f"--storage.tsdb.path={folder / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=(folder / "prometheus.log").open("wb"),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ready(url), timeout=30, what="Prometheus to start", every=0.3)
        yield url
    finally:
        process.terminate()
        process.wait(20)


def _ready(url: str) -> bool | None:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as response:  # noqa: S310 - localhost
            return True if response.status == 200 else None
    except OSError:
        return None


def instant(url: str, query: str) -> list[dict[str, Any]]:
    """Prometheus's answer to an instant query: a list of {metric: labels, value: [t, v]}."""
    address = f"{url}/api/v1/query?{urllib.parse.urlencode({'query': query})}"
    with urllib.request.urlopen(address, timeout=5) as response:  # noqa: S310 - localhost
        body = json.loads(response.read())
    assert body["status"] == "success", body
    return list(body["data"]["result"])


def test_prometheus_receives_the_domain_counters_and_latencies_with_their_labels(
    stack: Stack, prometheus: str
) -> None:
    with stack.rpc_client() as rpc:
        for index in range(4):
            drive_one(rpc, sample_application(index))

    def scraped(query: str, at_least: float) -> list[dict[str, Any]] | None:
        result = instant(prometheus, query)
        return result if result and sum(float(r["value"][1]) for r in result) >= at_least else None

    accepted = wait_for(lambda: scraped("sunlight_applications_accepted_total", 4), timeout=30,
                        what="accepted applications in Prometheus", every=0.5)
    assert {(r["metric"]["tenant"], r["metric"]["item"]) for r in accepted} == {
        ("hz-land", "HZ-DJ-0101"), ("gs-city", "GS-CG-0201"),
    }
    issued = wait_for(lambda: scraped("sunlight_certificates_issued_total", 4), timeout=30,
                      what="certificates in Prometheus", every=0.5)
    assert {r["metric"]["kind"] for r in issued} == {"title", "permit"}
    wait_for(lambda: scraped('sunlight_sms_sent_total{status="sent"}', 4), timeout=30,
             what="SMS in Prometheus", every=0.5)

    p95 = instant(prometheus, 'histogram_quantile(0.95, sum by (le) (sunlight_entrypoint_duration_seconds_bucket'
                              '{service="intake", entrypoint="submit_application", kind="rpc"}))')
    assert p95 and 0 < float(p95[0]["value"][1]) < 10
    # each target's first scrape comes at its own offset in the interval: on a busy machine one may lag
    def all_up() -> list[dict[str, Any]] | None:
        up = [r for r in instant(prometheus, 'up{job="sunlight"}') if r["value"][1] == "1"]
        return up if len(up) == 5 else None

    wait_for(all_up, timeout=30, what="the five services up in Prometheus", every=0.5)


def test_every_service_warns_about_and_exports_the_year_its_calendar_counts_provisionally(
    stack: Stack, prometheus: str
) -> None:
    # chinesecalendar's schedules end with PACKAGE_YEARS[1]; the year after is always provisional
    # until its notice is in an override file (the stack loads none), whatever today's date.
    year = str(PACKAGE_YEARS[1] + 1)

    def exported() -> list[dict[str, Any]] | None:
        result = instant(prometheus, f'sunlight_calendar_provisional_year{{year="{year}"}}')
        return result if len(result) == len(stack.processes) else None

    series = wait_for(exported, timeout=30, what=f"every service's provisional {year} in Prometheus", every=0.5)
    assert {r["metric"]["service"] for r in series} == set(stack.processes)
    assert all(r["value"][1] == year for r in series)
    for service in stack.processes:
        log = stack.log(service)
        assert f"working-day calendar is PROVISIONAL for {year}" in log, service
        assert "CALENDAR_OVERRIDES" in log, service
