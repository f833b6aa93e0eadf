"""Every Grafana panel (and alert) queries metrics that really exist, with labels they really have.

Sunlight's own metrics are read from the prometheus-client registry the services use; RabbitMQ's
from the broker's own Prometheus plugin on :15692 (``.ci/run`` enables it), so a renamed metric on
either side fails here rather than leaving an empty panel in production.
"""

from __future__ import annotations

import importlib.util
import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY

import sunlight.metrics  # noqa: F401 - registers every Sunlight metric
from tools.stack import listening

ROOT = Path(__file__).resolve().parent.parent
DASHBOARDS = sorted((ROOT / "deploy" / "grafana" / "dashboards").glob("*.json"))
PROMQL_WORDS = {"sum", "rate", "increase", "by", "max", "min", "topk", "histogram_quantile", "without", "le"}


def sunlight_series() -> dict[str, set[str]]:
    """Every sample name a Sunlight service can expose, with the labels it carries."""
    series: dict[str, set[str]] = {}
    for collector in list(REGISTRY._collector_to_names):  # noqa: SLF001 - the registry has no public listing
        for family in collector.collect():
            if not family.name.startswith("sunlight_"):
                continue
            labels = set(getattr(collector, "_labelnames", ()))
            suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}.get(family.type, [""])
            for suffix in suffixes:
                series[family.name + suffix] = labels | ({"le"} if suffix == "_bucket" else set())
    return series


def rabbitmq_series() -> set[str]:
    names: set[str] = set()
    for path in ("/metrics", "/metrics/detailed?family=queue_coarse_metrics&family=queue_consumer_count"):
        with urllib.request.urlopen(f"http://127.0.0.1:15692{path}", timeout=10) as response:  # noqa: S310
            for line in response.read().decode().splitlines():
                if line.startswith("# TYPE "):  # declared even while no queue exists to give it a series
                    names.add(line.split()[2])
                elif line and not line.startswith("#"):
                    names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def expressions() -> list[tuple[str, str]]:
    found = []
    for path in DASHBOARDS:
        board = json.loads(path.read_text())
        for panel in board["panels"]:
            found += [(f"{path.name}: {panel['title']}", t["expr"]) for t in panel.get("targets", [])]
        for variable in board["templating"]["list"]:
            query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
            found.append((f"{path.name}: ${variable['name']}", query))
    return found


EXPRESSIONS = expressions()


def test_generated_dashboards_are_current() -> None:
    spec = importlib.util.spec_from_file_location("grafana_generate", ROOT / "deploy" / "grafana" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0, "run: python deploy/grafana/generate.py"


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.name for p in DASHBOARDS])
def test_each_dashboard_is_well_formed(path: Path) -> None:
    board: dict[str, Any] = json.loads(path.read_text())
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    for panel in board["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, f"{panel['title']} overflows the row"
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] == "prometheus" and target["expr"].strip()


@pytest.mark.parametrize(("where", "expr"), EXPRESSIONS, ids=[w for w, _ in EXPRESSIONS])
def test_sunlight_metrics_and_labels_in_each_query_exist(where: str, expr: str) -> None:
    series = sunlight_series()
    for name in set(re.findall(r"\bsunlight_[a-z_]+", expr)):
        assert name in series, f"{where}: {name} is not exported by any service"
        for label in re.findall(r"(\w+)\s*(?:=~|!=|!~|=)\s*\"", _selector_of(expr, name)):
            assert label in series[name], f"{where}: {name} has no label {label!r}"
    grouped = set().union(*(set(map(str.strip, g.split(","))) for g in re.findall(r"by \(([^)]*)\)", expr)), set())
    names = set(re.findall(r"\bsunlight_[a-z_]+", expr))
    if names and grouped - {""}:
        carried = set().union(*(series[n] for n in names))
        assert grouped - {""} <= carried, f"{where}: groups by {sorted(grouped - carried)}, not labels of {names}"


def _selector_of(expr: str, name: str) -> str:
    match = re.search(re.escape(name) + r"\{([^}]*)\}", expr)
    return match.group(1) if match else ""


@pytest.mark.skipif(not listening("127.0.0.1", 15692), reason="RabbitMQ's prometheus plugin is not enabled")
def test_rabbitmq_metrics_in_each_query_exist() -> None:
    import yaml

    exported = rabbitmq_series()
    rules = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())
    alerts = [(f"alert {r['alert']}", r["expr"]) for g in rules["groups"] for r in g["rules"] if "alert" in r]
    queried = {(where, name) for where, expr in EXPRESSIONS + alerts
               for name in re.findall(r"\brabbitmq_[a-z_]+", expr)}
    assert queried, "no dashboard shows the broker"
    missing = sorted(f"{where}: {name}" for where, name in queried if name not in exported)
    assert not missing, missing
