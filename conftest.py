"""Test set-up shared by every test: eventlet first, then real databases and a private RabbitMQ vhost.

nameko runs on eventlet, so sockets must be green before anything imports them: this file is the
first thing pytest loads. Database tests take ``db_uri`` and run once on SQLite and once on
PostgreSQL (127.0.0.1:5432, user postgres); broker tests take ``amqp_uri``, a vhost of their own.
"""

from __future__ import annotations

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # nameko 3 runs on it; see README

import eventlet  # noqa: E402

eventlet.monkey_patch()

import uuid  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import MetaData  # noqa: E402

from sunlight.db import Store, make_engine  # noqa: E402
from sunlight.migrations import upgrade_to_head  # noqa: E402
from sunlight.outbox import OutboxRelay  # noqa: E402
from tools.stack import create_pg_database, create_vhost, delete_vhost, drop_pg_database, missing_brokers  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _brokers_are_up() -> None:
    """Fail at once, naming the command, rather than time out test by test."""
    missing = missing_brokers(("RabbitMQ", "Redis", "PostgreSQL"))
    if missing:
        pytest.exit("\n".join(missing), returncode=3)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    name = f"sunlight_test_{uuid.uuid4().hex[:10]}"
    uri = create_pg_database(name)
    try:
        yield uri
    finally:
        drop_pg_database(name)


@pytest.fixture
def amqp_uri() -> Iterator[str]:
    """A RabbitMQ vhost nobody else uses, deleted afterwards."""
    vhost = f"sunlight-test-{uuid.uuid4().hex[:8]}"
    if not create_vhost(vhost):
        pytest.fail("rabbitmqctl could not create a test vhost")
    try:
        yield f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    finally:
        delete_vhost(vhost)


StoreFactory = Callable[[MetaData, Path, str], Store]


class HeldRelay(OutboxRelay):
    """Keeps emitted events in the outbox, so a database test can read exactly what was written."""

    def publish_now(self, rows: object) -> int:
        return 0


@pytest.fixture
def make_store(db_uri: str) -> Iterator[StoreFactory]:
    """Migrate a service's chain on ``db_uri`` and hand back its Store, as the service would get it.

    Each further call gets a fresh database of its own, of the same backend: a test that compares two stores
    compares two databases. Emitted events stay in the outbox (``HeldRelay``): publishing is the integration
    tests' job.
    """
    engines = []
    extra_pg: list[str] = []

    def fresh_uri() -> str:
        if not engines:
            return db_uri
        if db_uri.startswith("sqlite:///"):
            return f"{db_uri.removesuffix('.db')}-{len(engines)}.db"
        name = f"sunlight_test_{uuid.uuid4().hex[:10]}"
        extra_pg.append(name)
        return create_pg_database(name)

    def factory(metadata: MetaData, migrations: Path, service: str) -> Store:
        engine = make_engine(fresh_uri(), pool_size=5)
        engines.append(engine)
        upgrade_to_head(engine, migrations)
        tables = (metadata.tables["outbox"], metadata.tables["processed_events"])
        relay = HeldRelay(engine, tables[0], service, "amqp://guest:guest@127.0.0.1:5672/")
        return Store(engine, relay, tables, service)

    yield factory
    for engine in engines:
        engine.dispose()
    for name in extra_pg:
        drop_pg_database(name)
