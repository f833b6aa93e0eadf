"""A stack whose services reach RabbitMQ (and, on request, PostgreSQL) only through a fault proxy.

The RabbitMQ, Redis and PostgreSQL servers are shared with other engineers: faults are injected into
this stack's own links (tests.faults.proxy) and its own processes, never into the servers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.fake_smsc import FakeSmsc, running_smsc
from tests.faults.private_redis import PrivateRedis
from tests.faults.proxy import FaultProxy, fault_proxy
from tests.faults.vhost_cut import VhostCut
from tools.stack import SERVICES, Stack, running_stack

SETTINGS = {"EVENT_RETRY_DELAY_MS": "100", "LOG_FORMAT": "json"}


def through(uri: str, port: int) -> str:
    """The same URI with its host:port replaced by the proxy's."""
    parts = urlsplit(uri)
    credentials = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
    return urlunsplit(parts._replace(netloc=f"{credentials}127.0.0.1:{port}"))


@dataclass
class FaultyStack:
    stack: Stack
    broker: FaultProxy | VhostCut  # VhostCut when the module sets BROKER_LINK = "vhost": no proxy in the data path
    database: FaultProxy | None  # in front of PostgreSQL for ``db_service`` only
    db_service: str | None
    backend: str
    redis: PrivateRedis | None = None  # the stack's own redis-server, for modules that set ``PRIVATE_REDIS``
    redis_link: FaultProxy | None = None  # in front of it, for every service
    smsc: FakeSmsc | None = None  # notify's SMSC, for modules that set ``FAKE_SMSC``
    settings: dict[str, str] = field(default_factory=dict)  # a module's ``SERVICE_SETTINGS``

    def env(self, service: str) -> dict[str, str]:
        direct = isinstance(self.broker, VhostCut)
        extra = dict(SETTINGS, **self.settings,
                     AMQP_URI=self.stack.amqp_uri if direct else through(self.stack.amqp_uri, self.broker.port))
        if self.redis_link:
            extra["REDIS_URI"] = f"redis://127.0.0.1:{self.redis_link.port}/0"
        if self.smsc and service == "notify":
            extra.update(SMS_PROVIDER="smpp", SMPP_HOST="127.0.0.1", SMPP_PORT=str(self.smsc.port),
                         SMPP_SYSTEM_ID="sunlight", SMPP_PASSWORD="secret", SMPP_TIMEOUT_SECONDS="2",
                         SMS_RETRY_BASE_MS="200", SMS_RETRY_CAP_SECONDS="2")
        if self.database and service == self.db_service:
            extra["DB_URI"] = through(self.stack.db_uris[service], self.database.port)
        return extra

    def start(self, service: str) -> None:
        self.stack.start(service, self.env(service))


@pytest.fixture(scope="module")
def faulty(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultyStack]:
    """The five services behind a broker proxy.

    A module sets ``BACKEND`` (or parametrizes ``faulty`` indirectly with the backends it runs on); for
    PostgreSQL faults ``DB_SERVICE``; for Redis faults ``PRIVATE_REDIS``
    (a redis-server of the test's own, reached through a proxy); for SMSC faults ``FAKE_SMSC`` (notify
    sends over SMPP to tests.fake_smsc); ``BROKER_LINK = "vhost"`` connects the services to RabbitMQ
    directly and cuts by closing the private vhost's connections (tests.faults.vhost_cut).
    """
    backend: str = getattr(request, "param", None) or getattr(request.module, "BACKEND", "sqlite")
    db_service: str | None = getattr(request.module, "DB_SERVICE", None)
    run_dir: Path = tmp_path_factory.mktemp(f"faults-{backend}")

    def wants(name: str) -> bool:
        return bool(getattr(request.module, name, False))

    with contextlib.ExitStack() as owned:  # closed in reverse: the services first, then what they reach
        proxy = owned.enter_context(fault_proxy("127.0.0.1", 5672))
        database = owned.enter_context(fault_proxy("127.0.0.1", 5432)) if db_service else None
        redis = owned.enter_context(contextlib.closing(PrivateRedis(run_dir))) if wants("PRIVATE_REDIS") else None
        redis_link = owned.enter_context(fault_proxy("127.0.0.1", redis.port)) if redis else None
        smsc = owned.enter_context(running_smsc(run_dir / "smsc.jsonl")) if wants("FAKE_SMSC") else None
        stack = owned.enter_context(running_stack(run_dir, backend=backend, services=()))
        direct = getattr(request.module, "BROKER_LINK", "proxy") == "vhost"
        broker: FaultProxy | VhostCut = VhostCut(stack.amqp_uri) if direct else proxy
        faulty = FaultyStack(stack, broker, database, db_service, backend, redis, redis_link, smsc,
                             dict(getattr(request.module, "SERVICE_SETTINGS", {})))
        for service in SERVICES:
            faulty.start(service)
        stack.wait_healthy()
        yield faulty
        for service, proc in stack.processes.items():
            assert proc.poll() is None, f"{service} died: {stack.log(service)[-3000:]}"


@pytest.fixture(scope="module")
def rpc(faulty: FaultyStack) -> Iterator[Any]:
    """The test's own client talks to RabbitMQ directly: only the services' links are broken."""
    with faulty.stack.rpc_client(timeout=8) as client:
        yield client
