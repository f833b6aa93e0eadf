"""Helpers for integration tests: read a service's database, talk to the broker directly."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from tools.stack import ALL_SERVICES, Stack, running_stack

#: what supervision records exactly once for every application that goes from the window to the
#: certificate, whatever its process; tasks come in pairs (created, completed), one per post that acted,
#: and there is one ``sms.sent`` per SMS and one ``payment.recorded`` per fee paid
ONCE_PER_CASE = ("application.accepted", "case.opened", "case.approved", "certificate.issued")


def trail_problems(event_types: list[str]) -> list[str]:
    """What is wrong with a finished case's audit trail (empty when it is complete and has no duplicate)."""
    problems = [f"{kind} recorded {event_types.count(kind)} times" for kind in ONCE_PER_CASE
                if event_types.count(kind) != 1]
    created, completed = event_types.count("task.created"), event_types.count("task.completed")
    if not created or created != completed:
        problems.append(f"{created} task(s) created but {completed} completed")
    return problems


def query(stack: Stack, service: str, sql: str, **params: Any) -> list[Any]:
    """Read a service's own database directly: the end state a test asserts."""
    engine = create_engine(stack.db_uris[service])
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql), params).all())
    finally:
        engine.dispose()


def publish_raw(stack: Stack, source: str, routing_key: str, body: Any) -> None:
    """Put a message on ``<source>.events`` as if that service had published it."""
    from kombu import Connection, Exchange, Producer

    with Connection(stack.amqp_uri, transport_options={"confirm_publish": True}) as connection:
        exchange = Exchange(f"{source}.events", type="topic", durable=True)
        Producer(connection.channel()).publish(
            body, exchange=exchange, routing_key=routing_key, serializer="json", delivery_mode=2, declare=[exchange]
        )


def metric(stack: Stack, owner: str, name: str, **labels: str) -> float:
    """The current value of one metric sample the ``owner`` service exposes (0 when absent)."""
    from urllib.request import urlopen

    from prometheus_client.parser import text_string_to_metric_families

    url = f"http://127.0.0.1:{stack.metrics_ports[owner]}/metrics"
    with urlopen(url, timeout=5) as response:  # noqa: S310 - localhost
        text = response.read().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def hostile(word: str) -> str:
    """Free text a user might type to break a page: a script and both quotes, marked with ``word``."""
    return f"{word}<script>alert('{word}')</script>\"{word}\""


@contextmanager
def portal(run_dir: Path, password: str, **settings: str) -> Iterator[Stack]:
    """The five services and the gateway as real processes, with the demo staff signed up under ``password``."""
    with running_stack(run_dir, services=ALL_SERVICES, extra_env=settings or None) as running:
        subprocess.run([sys.executable, "-m", "gateway.admin", "demo", "--password", password],
                       env=running.env_for("gateway"), check=True, capture_output=True)
        yield running
