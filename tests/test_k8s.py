"""deploy/k8s/sunlight.yaml is current, valid Kubernetes, and keeps the promises operators rely on."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "deploy" / "k8s" / "sunlight.yaml"
SERVICES = ("intake", "workflow", "registry", "notify", "supervision")
CUSTOM_KINDS = {"ScaledObject", "TriggerAuthentication", "RabbitmqCluster", "Cluster"}


def _generator() -> Any:
    spec = importlib.util.spec_from_file_location("k8s_generate", ROOT / "deploy" / "k8s" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


OBJECTS: list[dict[str, Any]] = [o for o in yaml.safe_load_all(MANIFEST.read_text()) if o]


def find(kind: str, name: str) -> dict[str, Any]:
    matches = [o for o in OBJECTS if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def test_the_committed_manifest_is_what_the_generator_writes() -> None:
    assert _generator().main(["--check"]) == 0, "run: python deploy/k8s/generate.py"


BUILT_IN = [o for o in OBJECTS if o["kind"] not in CUSTOM_KINDS]  # custom resources are checked below


@pytest.mark.parametrize("obj", BUILT_IN, ids=[f"{o['kind']}/{o['metadata']['name']}" for o in BUILT_IN])
def test_every_built_in_object_is_valid_for_kubernetes(obj: dict[str, Any]) -> None:
    kubernetes_validate.validate(obj, "1.37.0", strict=True)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_probed_sized_protected_and_autoscaled(service: str) -> None:
    deployment = find("Deployment", service)
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    port = next(p for p in container["ports"] if p["name"] == "metrics")["containerPort"]
    assert find("ConfigMap", f"{service}-config")["data"]["METRICS_PORT"] == str(port)
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert container["resources"]["requests"]["cpu"] and container["resources"]["limits"]["memory"]
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0

    selector = deployment["spec"]["selector"]["matchLabels"]
    assert find("PodDisruptionBudget", service)["spec"]["selector"]["matchLabels"] == selector
    assert find("Service", service)["spec"]["selector"] == selector

    scaled = find("ScaledObject", service)
    assert scaled["spec"]["scaleTargetRef"]["name"] == service
    assert scaled["spec"]["minReplicaCount"] >= 2, "replicas must cooperate, so production runs at least two"
    queues = {t["metadata"]["queueName"] for t in scaled["spec"]["triggers"] if t["type"] == "rabbitmq"}
    assert f"rpc-{service}" in queues


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_its_own_postgresql_cluster(service: str) -> None:
    cluster = find("Cluster", f"pg-{service}")
    assert cluster["spec"]["bootstrap"]["initdb"]["database"] == service
    [container] = find("Deployment", service)["spec"]["template"]["spec"]["containers"]
    db_uri = next(e for e in container["env"] if e["name"] == "DB_URI")
    assert db_uri["valueFrom"]["secretKeyRef"]["name"] == f"pg-{service}-app"


def test_rabbitmq_is_a_three_node_cluster_with_quorum_queues() -> None:
    broker = find("RabbitmqCluster", "rabbitmq")
    assert broker["spec"]["replicas"] == 3
    assert "default_queue_type = quorum" in broker["spec"]["rabbitmq"]["additionalConfig"]
