"""Write deploy/k8s/sunlight.yaml: every Kubernetes object Sunlight needs, from one description.

    python deploy/k8s/generate.py          # rewrite the manifest
    python deploy/k8s/generate.py --check  # exit 1 if the committed manifest is stale

Per service: ConfigMap, Deployment (probes on /healthz, requests and limits, non-root), Service
(metrics), PodDisruptionBudget, and a KEDA ScaledObject scaling on the depth of the queues the
service consumes. PostgreSQL: one CloudNativePG cluster per service. RabbitMQ: a three-node
RabbitmqCluster whose vhost makes quorum queues the default. Redis for the singleton locks.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "sunlight.yaml"
NAMESPACE = "sunlight"
IMAGE = "registry.example.gov.cn/sunlight/{service}:0.1.0"

# what each service consumes, for KEDA: its RPC queue and its event queues
SERVICES: dict[str, dict[str, Any]] = {
    "intake": {"port": 9101, "replicas": 2, "max": 6, "queues": ["rpc-intake"]},
    "workflow": {"port": 9102, "replicas": 2, "max": 8,
                 "queues": ["rpc-workflow", "evt-intake-application.accepted--workflow.on_application_accepted"]},
    "registry": {"port": 9103, "replicas": 2, "max": 4,
                 "queues": ["rpc-registry", "evt-workflow-case.approved--registry.on_case_approved"]},
    # notify's workers outnumber its SMPP window (SMPP_WINDOW, 10 by default) and wait on batches, not connections
    "notify": {"port": 9104, "replicas": 2, "max": 4, "workers": 40, "db_pool": 12,
               "queues": ["rpc-notify", "evt-registry-certificate.issued--notify.on_certificate_issued"]},
    # supervision records the events its workers hold in one transaction (up to RECORD_BATCH_LIMIT, 50): twice
    # that many workers, so one batch gathers while the other is written; they wait on the batch, not on a
    # database connection, so its pool stays small
    "supervision": {"port": 9105, "replicas": 2, "max": 4, "workers": 100, "db_pool": 12,
                    "queues": ["rpc-supervision", "evt-all--supervision.record_event"]},
}
LABELS = {"app.kubernetes.io/part-of": "sunlight"}


def labels(service: str) -> dict[str, str]:
    return {**LABELS, "app.kubernetes.io/name": service}


def meta(name: str, service: str | None = None) -> dict[str, Any]:
    return {"name": name, "namespace": NAMESPACE, "labels": labels(service) if service else dict(LABELS)}


def config_map(service: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(f"{service}-config", service),
        "data": {
            "METRICS_PORT": str(spec["port"]),
            "REDIS_URI": "redis://redis:6379/0",
            "REDIS_PREFIX": "sunlight",
            "MAX_WORKERS": str(spec.get("workers", 20)),
            "PREFETCH_COUNT": str(spec.get("workers", 20)),
            **({"DB_POOL_SIZE": str(spec["db_pool"])} if "db_pool" in spec else {}),
            "EVENT_MAX_ATTEMPTS": "5",
            "EVENT_RETRY_DELAY_MS": "500",
            "LOG_LEVEL": "INFO",
            "LOG_FORMAT": "json",
        },
    }


def deployment(service: str, spec: dict[str, Any]) -> dict[str, Any]:
    probe = {"httpGet": {"path": "/healthz", "port": "metrics"}}
    env = [
        {"name": "AMQP_URI", "valueFrom": {"secretKeyRef": {"name": "rabbitmq-sunlight", "key": "uri"}}},
        # CloudNativePG writes a secret <cluster>-app whose "uri" is postgresql://… (psycopg2 by default)
        {"name": "DB_URI", "valueFrom": {"secretKeyRef": {"name": f"pg-{service}-app", "key": "uri"}}},
    ]
    if service == "notify":
        env.append({"name": "SMS_PROVIDER", "value": "smpp"})
    if service in ("intake", "gateway"):  # query code digests: the public status from the gateway's read model
        env.append({"name": "QUERY_CODE_KEY", "valueFrom": {"secretKeyRef": {
            "name": "sunlight-query-code", "key": "key", "optional": True}}})
    if service in ("intake", "notify"):  # the query code sealed for the acceptance SMS (sunlight.seals)
        env.append({"name": "QUERY_CODE_SEAL_KEY", "valueFrom": {"secretKeyRef": {
            "name": "sunlight-query-code", "key": "seal-key", "optional": True}}})
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(service, service),
        "spec": {
            "replicas": spec["replicas"],
            "selector": {"matchLabels": labels(service)},
            # a rolling update never drops below the running count: in-flight messages finish
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                "metadata": {"labels": labels(service),
                             "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": str(spec["port"])}},
                "spec": {
                    # nameko stops consuming on SIGTERM and lets running workers finish
                    "terminationGracePeriodSeconds": 60,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "fsGroup": 10001},
                    "containers": [{
                        "name": service,
                        "image": IMAGE.format(service=service),
                        "ports": [{"name": "metrics", "containerPort": spec["port"]}],
                        "envFrom": [{"configMapRef": {"name": f"{service}-config"}}],
                        "env": env,
                        "readinessProbe": {**probe, "periodSeconds": 5, "failureThreshold": 3},
                        "livenessProbe": {**probe, "periodSeconds": 10, "failureThreshold": 6,
                                          "initialDelaySeconds": 20},
                        "startupProbe": {**probe, "periodSeconds": 2, "failureThreshold": 60},
                        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"},
                                      "limits": {"cpu": "1", "memory": "512Mi"}},
                        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                            "capabilities": {"drop": ["ALL"]}},
                        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],  # noqa: S108 - container tmpfs
                    }],
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                },
            },
        },
    }


def service_object(service: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "Service", "metadata": meta(service, service),
        "spec": {"selector": labels(service),
                 "ports": [{"name": "metrics", "port": spec["port"], "targetPort": "metrics"}]},
    }


def disruption_budget(service: str) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta(service, service),
        "spec": {"minAvailable": 1, "selector": {"matchLabels": labels(service)}},
    }


def scaled_object(service: str, spec: dict[str, Any]) -> dict[str, Any]:
    """KEDA: one replica per 50 waiting messages on any queue the service consumes."""
    return {
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": meta(service, service),
        "spec": {
            "scaleTargetRef": {"name": service},
            "minReplicaCount": spec["replicas"],
            "maxReplicaCount": spec["max"],
            "cooldownPeriod": 300,
            "triggers": [
                {"type": "rabbitmq",
                 "metadata": {"protocol": "amqp", "queueName": queue, "mode": "QueueLength", "value": "50",
                              "vhostName": "sunlight"},
                 "authenticationRef": {"name": "rabbitmq-sunlight"}}
                for queue in spec["queues"]
            ],
        },
    }


def platform() -> list[dict[str, Any]]:
    """The namespace, the broker, the lock store and one PostgreSQL cluster per service."""
    objects: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE, "labels": dict(LABELS)}},
        {"apiVersion": "rabbitmq.com/v1beta1", "kind": "RabbitmqCluster", "metadata": meta("rabbitmq"),
         "spec": {"replicas": 3,
                  "rabbitmq": {"additionalPlugins": ["rabbitmq_prometheus"],
                               # durable queues nameko declares become quorum queues (replicated on 3 nodes)
                               "additionalConfig": "default_queue_type = quorum\n"},
                  "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}}}},
        {"apiVersion": "keda.sh/v1alpha1", "kind": "TriggerAuthentication", "metadata": meta("rabbitmq-sunlight"),
         "spec": {"secretTargetRef": [{"parameter": "host", "name": "rabbitmq-sunlight", "key": "uri"}]}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("redis", "redis"),
         "spec": {"replicas": 1, "selector": {"matchLabels": labels("redis")},
                  "template": {"metadata": {"labels": labels("redis")},
                               "spec": {"containers": [{
                                   "name": "redis", "image": "redis:7",
                                   "args": ["--save", "", "--appendonly", "no"],
                                   "ports": [{"name": "redis", "containerPort": 6379}],
                                   "readinessProbe": {"exec": {"command": ["redis-cli", "ping"]}},
                                   "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                                 "limits": {"memory": "256Mi"}}}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": meta("redis", "redis"),
         "spec": {"selector": labels("redis"), "ports": [{"name": "redis", "port": 6379}]}},
    ]
    for service in SERVICES:
        objects.append({
            "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": meta(f"pg-{service}", service),
            "spec": {"instances": 2, "storage": {"size": "10Gi"},
                     "bootstrap": {"initdb": {"database": service, "owner": service}},
                     "monitoring": {"enablePodMonitor": True}},
        })
    return objects


def manifest() -> str:
    objects = platform()
    for service, spec in SERVICES.items():
        objects += [config_map(service, spec), deployment(service, spec), service_object(service, spec),
                    disruption_budget(service), scaled_object(service, spec)]
    header = "# Generated by deploy/k8s/generate.py — edit that, then run it. Validated by tests/test_k8s.py.\n"
    return header + yaml.safe_dump_all(objects, sort_keys=False, allow_unicode=True)


def main(argv: list[str]) -> int:
    text = manifest()
    if "--check" in argv:
        if OUTPUT.read_text() != text:
            print(f"{OUTPUT} is stale: run python deploy/k8s/generate.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
