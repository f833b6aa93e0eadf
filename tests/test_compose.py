"""The deployment files agree with the code they deploy.

docker-compose.yml, the five Dockerfiles, the Prometheus scrape and alert files and the Grafana
dashboard each repeat something the code already says: a service's module and config, its metrics
port, its database, the exact metric names of ``lib/sunlight/metrics.py``. These tests read both
sides and fail where they drift apart, so a renamed metric or a moved port breaks the build, not
the night shift's dashboard.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("intake", "workflow", "registry", "notify", "supervision", "gateway")
BROKERS = ("rabbitmq", "redis", "postgres")
COMPOSE_FILE = ROOT / "docker-compose.yml"
DEPLOY = ROOT / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "overview.json"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
SCRAPE_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
# Labels Prometheus attaches to every scraped series, whatever the exporter defines.
TARGET_LABELS = {"job", "instance"}


# ---------------------------------------------------------------- reading the files

def _interpolate(text: str) -> str:
    """Substitute ``${VAR:-default}`` as compose does when VAR is unset: the file's own defaults."""
    return re.sub(r"\$\{\w+(?::?-([^}]*))?\}", lambda match: match.group(1) or "", text)


def _load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


COMPOSE: dict[str, Any] = yaml.safe_load(_interpolate(COMPOSE_FILE.read_text(encoding="utf-8")))
SCRAPE: dict[str, Any] = _load_yaml(SCRAPE_CONFIG)


def _composed(name: str) -> dict[str, Any]:
    services: dict[str, Any] = COMPOSE["services"]
    assert name in services, f"docker-compose.yml has no service {name!r}"
    return dict(services[name])


def _environment(name: str) -> dict[str, str]:
    """A compose service's environment, whether written as a mapping or as KEY=value lines."""
    raw = _composed(name).get("environment") or {}
    if isinstance(raw, list):
        raw = dict(line.split("=", 1) for line in raw)
    return {key: str(value) for key, value in raw.items()}


def _container_ports(name: str) -> set[int]:
    """The container side of each published port ("8080:80", "127.0.0.1:8080:80/tcp" or long form)."""
    ports: set[int] = set()
    for entry in _composed(name).get("ports", []):
        if isinstance(entry, dict):
            ports.add(int(entry["target"]))
        else:
            ports.add(int(str(entry).split("/")[0].rsplit(":", 1)[-1]))
    return ports


def _bind_mounts(name: str) -> dict[PurePosixPath, str]:
    """Where a compose service mounts repository paths: repo-relative source -> container path."""
    mounts: dict[PurePosixPath, str] = {}
    for volume in _composed(name).get("volumes", []):
        source, target = str(volume).split(":")[:2]
        if source.startswith("./"):
            mounts[PurePosixPath(source[2:])] = target
    return mounts


def _dockerfile(name: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a service's Dockerfile, continuation lines joined, comments dropped."""
    text = (ROOT / "services" / name / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, arguments = line.strip().partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def _arguments(name: str, keyword: str) -> list[str]:
    return [arguments for found, arguments in _dockerfile(name) if found == keyword]


def _config_default(name: str, key: str) -> str:
    """The default a service's config.yml gives ``${KEY:default}``."""
    text = (ROOT / "services" / name / "config.yml").read_text(encoding="utf-8")
    match = re.search(rf"^{key}:\s*\$\{{{key}:([^}}]*)\}}", text, re.MULTILINE)
    assert match, f"services/{name}/config.yml does not read {key} from the environment"
    return match.group(1)


def _scrape_targets(job: str) -> set[str]:
    for scrape in SCRAPE["scrape_configs"]:
        if scrape["job_name"] == job:
            return {target for static in scrape.get("static_configs", []) for target in static["targets"]}
    return set()


def _created_databases() -> set[str]:
    sql = (DEPLOY / "postgres" / "init.sql").read_text(encoding="utf-8")
    return {name.strip('"') for name in re.findall(r"CREATE\s+DATABASE\s+(\"?\w+\"?)", sql, re.IGNORECASE)}


# ---------------------------------------------------------------- the metrics the code defines

def _defined_metrics() -> dict[str, tuple[str, frozenset[str]]]:
    """Every metric ``lib/sunlight/metrics.py`` defines: name -> (Counter|Gauge|Histogram, label names)."""
    source = (ROOT / "lib" / "sunlight" / "metrics.py").read_text(encoding="utf-8")
    metrics: dict[str, tuple[str, frozenset[str]]] = {}
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        if node.func.id not in {"Counter", "Gauge", "Histogram"}:
            continue
        name = ast.literal_eval(node.args[0])
        labels = node.args[2] if len(node.args) > 2 else next(
            (keyword.value for keyword in node.keywords if keyword.arg == "labelnames"), ast.List(elts=[])
        )
        metrics[name] = (node.func.id, frozenset(ast.literal_eval(labels)))
    return metrics


METRICS = _defined_metrics()


def _series() -> dict[str, str]:
    """Each series name Prometheus will store, mapped to the metric that exposes it."""
    series: dict[str, str] = {}
    for name, (kind, _) in METRICS.items():
        suffixes = ("_bucket", "_sum", "_count") if kind == "Histogram" else ("",)
        series.update({name + suffix: name for suffix in suffixes})
    return series


SERIES = _series()


def _expressions_in(node: Any) -> Iterator[str]:
    """Every PromQL ``expr`` in a Grafana dashboard, at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "expr" and isinstance(value, str):
                yield value
            else:
                yield from _expressions_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from _expressions_in(item)


def _alert_rules() -> list[dict[str, Any]]:
    return [rule for group in _load_yaml(ALERTS)["groups"] for rule in group["rules"]]


DASHBOARD_JSON: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
EXPRESSIONS = [("dashboard", expr) for expr in _expressions_in(DASHBOARD_JSON["panels"])] + [
    (f"alert {rule['alert']}", str(rule["expr"])) for rule in _alert_rules()
]


def _sunlight_names(expr: str) -> set[str]:
    return set(re.findall(r"\bsunlight_\w+", expr))


def _labels_in(expr: str) -> set[str]:
    """Label names an expression groups by, joins on or matches."""
    labels: set[str] = set()
    for group in re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", expr):
        labels.update(label.strip() for label in group.split(",") if label.strip())
    for matchers in re.findall(r"\{([^}]*)\}", expr):
        labels.update(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", matchers))
    return labels


# ---------------------------------------------------------------- compose as a whole

def _compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30).returncode == 0:
        return [docker, "compose"]
    return None


def test_docker_compose_accepts_the_file() -> None:
    command = _compose_command()
    if command is None:
        pytest.skip("neither docker-compose nor the docker compose plugin is installed")
    checked = subprocess.run([*command, "-f", str(COMPOSE_FILE), "config", "-q"],
                             capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert checked.returncode == 0, checked.stderr


def test_each_service_has_a_database_of_its_own_that_init_sql_creates() -> None:
    databases: dict[str, str] = {}
    for name in SERVICES:
        url = make_url(_environment(name)["DB_URI"])
        assert url.drivername == "postgresql+psycopg2", f"{name} does not use PostgreSQL: {url}"
        assert url.host in COMPOSE["services"], f"{name} connects to {url.host}, which compose does not run"
        assert url.database, f"{name}'s DB_URI names no database"
        databases[name] = url.database
    assert len(set(databases.values())) == len(SERVICES), f"services share a database: {databases}"
    missing = set(databases.values()) - _created_databases()
    assert not missing, f"deploy/postgres/init.sql does not create {sorted(missing)}"


def test_postgres_runs_init_sql_on_first_start() -> None:
    assert _bind_mounts("postgres").get(PurePosixPath("deploy/postgres/init.sql"), "").startswith(
        "/docker-entrypoint-initdb.d/"
    )


@pytest.mark.parametrize("broker", BROKERS)
def test_every_broker_reports_its_health(broker: str) -> None:
    """A service's depends_on waits for service_healthy, which never comes without a healthcheck."""
    assert _composed(broker).get("healthcheck", {}).get("test"), f"{broker} has no healthcheck"


def test_rabbitmq_exposes_prometheus_metrics_and_prometheus_scrapes_them() -> None:
    plugins = DEPLOY / "rabbitmq" / "enabled_plugins"
    assert "rabbitmq_prometheus" in plugins.read_text(encoding="utf-8")
    mounts = _bind_mounts("rabbitmq")
    assert mounts.get(PurePosixPath("deploy/rabbitmq/enabled_plugins")) == "/etc/rabbitmq/enabled_plugins"
    assert "rabbitmq:15692" in _scrape_targets("rabbitmq")


def test_prometheus_loads_the_alert_rules_from_the_mounted_folder() -> None:
    mounted_at = _bind_mounts("prometheus")[PurePosixPath("deploy/prometheus")]
    assert SCRAPE.get("rule_files"), "prometheus.yml loads no rule files"
    for rule_file in SCRAPE["rule_files"]:
        path = PurePosixPath(rule_file)
        # relative paths resolve against the config file's folder, which is the mounted folder
        relative = path.relative_to(mounted_at) if path.is_absolute() else path
        assert (DEPLOY / "prometheus" / relative).is_file(), f"{rule_file} is not in deploy/prometheus"


# ---------------------------------------------------------------- one service at a time

@pytest.mark.parametrize("name", SERVICES)
def test_service_builds_from_its_own_dockerfile(name: str) -> None:
    build = _composed(name)["build"]
    assert (ROOT / build["context"]).resolve() == ROOT
    assert build["dockerfile"] == f"services/{name}/Dockerfile"
    assert (ROOT / build["dockerfile"]).is_file()


@pytest.mark.parametrize("name", SERVICES)
def test_metrics_port_is_the_same_everywhere(name: str) -> None:
    port = _environment(name)["METRICS_PORT"]
    assert port == _config_default(name, "METRICS_PORT"), "compose and config.yml disagree"
    assert int(port) in _container_ports(name), "the metrics port is not published"
    assert port in _arguments(name, "EXPOSE"), "the Dockerfile does not EXPOSE the metrics port"
    assert f"{name}:{port}" in _scrape_targets("sunlight"), "Prometheus does not scrape it"


@pytest.mark.parametrize("name", SERVICES)
def test_service_reports_health_on_its_metrics_port(name: str) -> None:
    port = _environment(name)["METRICS_PORT"]
    check = " ".join(_composed(name)["healthcheck"]["test"])
    assert f"http://127.0.0.1:{port}/healthz" in check
    assert _arguments(name, "HEALTHCHECK"), "the image itself has no HEALTHCHECK"


@pytest.mark.parametrize("name", SERVICES)
def test_service_starts_once_the_brokers_are_healthy(name: str) -> None:
    service = _composed(name)
    depends_on = service["depends_on"]
    assert {broker: depends_on.get(broker, {}).get("condition") for broker in BROKERS} == dict.fromkeys(
        BROKERS, "service_healthy"
    )
    assert service["restart"] == "unless-stopped"
    assert {"AMQP_URI", "DB_URI", "REDIS_URI", "METRICS_PORT"} <= _environment(name).keys()


@pytest.mark.parametrize("name", SERVICES)
def test_dockerfile_runs_the_service_module_with_its_config(name: str) -> None:
    (command,) = _arguments(name, "CMD")
    config, module = f"services/{name}/config.yml", f"{name}.service"
    assert json.loads(command) == ["nameko", "run", "--config", config, module]
    assert (ROOT / config).is_file()
    assert (ROOT / "services" / name / name / "service.py").is_file()
    (pythonpath,) = [value for value in _arguments(name, "ENV") if "PYTHONPATH=" in value]
    assert f"/app/lib:/app/services/{name}" in pythonpath


@pytest.mark.parametrize("name", SERVICES)
def test_image_holds_only_runtime_pins_the_library_and_its_own_service(name: str) -> None:
    sources = {arguments.split()[0] for arguments in _arguments(name, "COPY")}
    assert sources == {"requirements.txt", "lib/", f"services/{name}/"}
    installs = " ".join(arguments for arguments in _arguments(name, "RUN") if "pip install" in arguments)
    assert "-r requirements.txt" in installs and "requirements-dev" not in installs
    users = _arguments(name, "USER")
    assert users and users[-1] not in {"root", "0"}, "the service runs as root"
    assert _dockerfile(name)[0] == ("FROM", "python:3.11-slim")


# ---------------------------------------------------------------- dashboards and alerts

@pytest.mark.parametrize(("source", "expr"), EXPRESSIONS)
def test_every_metric_queried_is_defined_in_metrics_py(source: str, expr: str) -> None:
    unknown = _sunlight_names(expr) - SERIES.keys()
    assert not unknown, f"{source} queries {sorted(unknown)}, which lib/sunlight/metrics.py does not define"


@pytest.mark.parametrize(("source", "expr"), EXPRESSIONS)
def test_every_label_queried_is_on_the_metric(source: str, expr: str) -> None:
    metrics = {SERIES[name] for name in _sunlight_names(expr) if name in SERIES}
    if metrics:  # Prometheus's own series, such as up, carry only the target labels
        known = set(TARGET_LABELS)
        for metric in metrics:
            kind, labels = METRICS[metric]
            known |= labels | ({"le"} if kind == "Histogram" else set())
        unknown = _labels_in(expr) - known
        assert not unknown, f"{source}: {sorted(unknown)} are not labels of {sorted(metrics)}"
    jobs = {scrape["job_name"] for scrape in SCRAPE["scrape_configs"]}
    for job in re.findall(r'job\s*=\s*"([^"]*)"', expr):
        assert job in jobs, f"{source} selects job {job!r}, which prometheus.yml does not scrape"


def test_dashboard_tenant_variable_reads_a_real_label() -> None:
    for variable in DASHBOARD_JSON["templating"]["list"]:
        query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
        match = re.fullmatch(r"label_values\((\w+),\s*(\w+)\)", query)
        assert match, f"variable {variable['name']} is not a label_values query: {query}"
        metric, label = match.groups()
        assert label in METRICS[SERIES[metric]][1]


def test_dashboard_shows_what_the_bureau_watches() -> None:
    queried = set().union(*(_sunlight_names(expr) for source, expr in EXPRESSIONS if source == "dashboard"))
    shown = {SERIES[name] for name in queried if name in SERIES}
    assert {
        "sunlight_applications_accepted_total",
        "sunlight_cases_opened_total",
        "sunlight_certificates_issued_total",
        "sunlight_sms_sent_total",
        "sunlight_entrypoint_duration_seconds",
        "sunlight_entrypoint_errors_total",
        "sunlight_entrypoint_calls_total",
        "sunlight_outbox_pending",
        "sunlight_events_dead_lettered_total",
    } <= shown


def test_dashboard_panels_use_the_provisioned_datasource() -> None:
    (datasource,) = _load_yaml(DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml")["datasources"]
    assert urlsplit(datasource["url"]).hostname == "prometheus" and "prometheus" in COMPOSE["services"]
    used = {panel["datasource"]["uid"] for panel in DASHBOARD_JSON["panels"] if "datasource" in panel}
    used |= {target["datasource"]["uid"] for panel in DASHBOARD_JSON["panels"] for target in panel.get("targets", [])}
    assert used == {datasource["uid"]}


def test_grafana_loads_the_dashboards_from_where_compose_mounts_them() -> None:
    (provider,) = _load_yaml(DEPLOY / "grafana" / "provisioning" / "dashboards" / "sunlight.yml")["providers"]
    mounts = _bind_mounts("grafana")
    assert mounts[PurePosixPath("deploy/grafana/dashboards")] == provider["options"]["path"]
    assert mounts[PurePosixPath("deploy/grafana/provisioning")] == "/etc/grafana/provisioning"


def test_alert_rules_say_how_bad_and_what_happened() -> None:
    rules = _alert_rules()
    assert {"SunlightServiceDown", "SunlightEventsDeadLettered", "SunlightOutboxBacklogGrowing",
            "SunlightEntrypointErrorRate"} <= {rule["alert"] for rule in rules}
    for rule in rules:
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
