"""Each service's own database: engine, migrations at start, and a unit of work with an outbox.

SQLite (the embedded default) and PostgreSQL are both first-class. Under eventlet, SQLite gets one
connection per process (the pool serializes greenlets), WAL and a busy timeout; nothing in a unit of
work may do I/O besides the database, so events are written to the outbox table and published only
after the commit.
"""

from __future__ import annotations

import functools
import json
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nameko import config
from nameko.extensions import DependencyProvider
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Engine,
    Index,
    Insert,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    insert,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DisconnectionError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import TypeDecorator

from sunlight import crashpoints
from sunlight.contracts import Event
from sunlight.migrations import upgrade_to_head
from sunlight.outbox import OutboxRelay, Pending

log = logging.getLogger(__name__)


class UTCDateTime(TypeDecorator[datetime]):
    """Store instants as naive UTC (SQLite has no zones); always hand back aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def infrastructure_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Add the outbox and processed-events tables every service keeps in its own database."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(64), nullable=False),
        Column("body", Text, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("published_at", UTCDateTime, nullable=True),
        Column("attempts", Integer, nullable=False, default=0),
    )
    Index("ix_outbox_unpublished", outbox.c.published_at, outbox.c.id)
    processed = Table(
        "processed_events",
        metadata,
        Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
        Column("event_id", String(36), nullable=False),
        Column("consumer", String(128), nullable=False),
        Column("processed_at", UTCDateTime, nullable=False),
        UniqueConstraint("event_id", "consumer", name="uq_processed_event_consumer"),
    )
    return outbox, processed


def make_engine(uri: str, pool_size: int = 10) -> Engine:
    """An engine tuned for eventlet: one SQLite connection per process, a sized PostgreSQL pool."""
    if uri.startswith("sqlite"):
        path = uri.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            uri,
            poolclass=QueuePool,
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
            connect_args={"timeout": 30, "check_same_thread": False},
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    make_psycopg2_green()
    # no pool_pre_ping: a round trip before every unit of work was 7 % of workflow's time under load.
    # A connection is pinged only after sitting idle, and replaced after RECYCLE_SECONDS whatever happens.
    engine = create_engine(uri, pool_size=pool_size, max_overflow=5, pool_recycle=RECYCLE_SECONDS)
    event.listen(engine, "connect", _stamp_idle_since)
    event.listen(engine, "checkin", _stamp_idle_since)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


#: a pooled connection unused this long may have died (server restart, a cut line): ping it at checkout
IDLE_BEFORE_PING_SECONDS = 10.0
RECYCLE_SECONDS = 1800


def _stamp_idle_since(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Ping a connection that sat idle; a dead one raises DisconnectionError, and the pool retries with a new one.

    One in steady use has just proved itself; if it died since, its statement fails, SQLAlchemy
    invalidates the pool's older connections, and the unit of work is retried by its caller
    (sunlight.messaging retries events on a database outage).
    """
    if time.monotonic() - record.info.get("idle_since", 0.0) < IDLE_BEFORE_PING_SECONDS:
        return
    try:
        before, dbapi_connection.autocommit = dbapi_connection.autocommit, True  # no transaction left open
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.autocommit = before
    except Exception as exc:  # noqa: BLE001 - whatever the driver raises, this connection is gone
        raise DisconnectionError(f"pooled connection is dead: {exc}") from exc


def make_psycopg2_green() -> None:
    """Let psycopg2 yield to other green threads while it waits on the server (as psycogreen does).

    Without it every PostgreSQL query blocks the whole eventlet process: workers never overlap, and a
    green thread waiting on a row lock held by another green thread hangs the service for good.
    """
    import eventlet.patcher
    import psycopg2.extensions

    if eventlet.patcher.is_monkey_patched("socket"):
        psycopg2.extensions.set_wait_callback(_green_wait)


def _green_wait(connection: Any, timeout: float = -1) -> None:
    import eventlet.hubs
    import psycopg2
    import psycopg2.extensions

    while True:
        state = connection.poll()
        if state == psycopg2.extensions.POLL_OK:
            return
        if state == psycopg2.extensions.POLL_READ:
            eventlet.hubs.trampoline(connection.fileno(), read=True)
        elif state == psycopg2.extensions.POLL_WRITE:
            eventlet.hubs.trampoline(connection.fileno(), write=True)
        else:
            raise psycopg2.OperationalError(f"bad result from poll: {state!r}")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class UnitOfWork:
    """One transaction: the service's changes, the events they cause, and the events consumed."""

    def __init__(self, session: Session, outbox: Table, processed: Table, service: str) -> None:
        self.session = session
        self._outbox = outbox
        self._processed = processed
        self._service = service
        self.emitted: list[str] = []
        self.emitted_types: list[str] = []  # what a test's crash point names (sunlight.crashpoints)
        self.written: list[Pending] = []  # the outbox rows as inserted, for the relay after the commit
        self._outbox_rows: list[dict[str, Any]] = []

    def emit(self, event: Event) -> None:
        """Record an event to publish once this transaction commits."""
        body = event.to_message()
        body["source"] = self._service
        self._outbox_rows.append({
            "event_id": event.event_id,
            "event_type": event.event_type,
            "body": json.dumps(body, ensure_ascii=False),
            "created_at": datetime.now(UTC),
            "attempts": 0,
        })
        self.emitted.append(event.event_id)
        self.emitted_types.append(event.event_type)

    def write_outbox(self) -> None:
        """Insert the emitted events, in emit order, with one statement (part of the commit).

        The ids come back with the insert, so the relay publishes the rows it is handed after the commit
        without reading them back.
        """
        if self._outbox_rows:
            connection = self.session.connection()
            # Core on the session's connection: the ORM's execute machinery cost more than the INSERT
            statement = _statements(self._outbox, self._processed, connection.dialect.name).add_event
            ids = connection.execute(statement, self._outbox_rows).scalars().all()
            self.written.extend(Pending(id_, row["event_id"], row["event_type"], row["body"])
                                for id_, row in zip(ids, self._outbox_rows, strict=True))
            self._outbox_rows = []

    def first_delivery(self, event_id: str, consumer: str) -> bool:
        """True the first time ``consumer`` sees ``event_id``; records it in this transaction.

        One statement (an insert that does nothing on a repeat), not a read and then a write: each is a
        round trip to PostgreSQL, and every delivery of every handler pays it. A concurrent delivery of
        the same event waits on the unique key and then finds it taken.
        """
        connection = self.session.connection()
        statement = _statements(self._outbox, self._processed, connection.dialect.name).mark_seen
        result = connection.execute(
            statement, {"event_id": event_id, "consumer": consumer, "processed_at": datetime.now(UTC)}
        )
        return bool(result.rowcount)

    def first_deliveries(self, event_ids: Sequence[str], consumer: str) -> set[str]:
        """Those of ``event_ids`` that ``consumer`` sees for the first time; records them in this transaction.

        ``first_delivery`` for a batch, in one statement: the insert hands back the ids it wrote. An id given
        twice counts once.
        """
        if not event_ids:
            return set()
        connection = self.session.connection()
        statement = _statements(self._outbox, self._processed, connection.dialect.name).mark_first_seen
        now = datetime.now(UTC)
        rows = [{"event_id": event_id, "consumer": consumer, "processed_at": now}
                for event_id in dict.fromkeys(event_ids)]
        return set(connection.execute(statement, rows).scalars())


@dataclass(frozen=True)
class _Statements:
    add_event: Insert
    mark_seen: Insert
    mark_first_seen: Insert


@functools.cache
def _statements(outbox: Table, processed: Table, dialect: str) -> _Statements:
    """A unit of work's own statements, built once per service: building one costs more CPU than running it."""
    upsert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    mark_seen = upsert(processed).on_conflict_do_nothing(index_elements=["event_id", "consumer"])
    return _Statements(
        add_event=insert(outbox).returning(outbox.c.id, sort_by_parameter_order=True),
        mark_seen=mark_seen,
        mark_first_seen=mark_seen.returning(processed.c.event_id),  # the same insert, naming the ids it wrote
    )


class Store:
    """What a worker gets: units of work on the service's database, and the outbox relay."""

    def __init__(self, engine: Engine, relay: OutboxRelay, tables: tuple[Table, Table], service: str):
        self.engine = engine
        self.relay = relay
        self._outbox, self._processed = tables
        self._service = service

    @contextmanager
    def unit_of_work(self) -> Iterator[UnitOfWork]:
        """Commit everything or nothing; publish the emitted events after the commit.

        The commit also marks published what the broker confirmed since the last one (the relay's marks),
        instead of a transaction of their own; if it fails, they wait for the next.
        """
        marks: list[int] = []
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                if self.engine.dialect.name == "sqlite":
                    # SQLite ignores FOR UPDATE, and pysqlite would only begin at the first write: two processes
                    # could each read a row, then each save over the other's change. Take the file's write lock
                    # before the first read instead (waiting up to the busy timeout for another process's commit).
                    session.connection().exec_driver_sql("BEGIN IMMEDIATE")
                uow = UnitOfWork(session, self._outbox, self._processed, self._service)
                yield uow
                uow.write_outbox()
                marks = self.relay.take_marks()
                if marks:
                    self.relay.mark(session.connection(), marks)
                if crashpoints.ARMED:  # a fault test's SIGKILL with the rows written but not committed
                    session.flush()
                    crashpoints.reach("before-commit", uow.emitted_types)
        except BaseException:
            self.relay.give_back_marks(marks)
            raise
        crashpoints.reach("after-commit", uow.emitted_types)
        if uow.written:
            self.relay.publish_now(uow.written)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session (rolled back at the end)."""
        with Session(self.engine) as session:
            yield session
            session.rollback()


class Database(DependencyProvider):  # type: ignore[misc]
    """DependencyProvider: migrate at start, then hand each worker a ``Store``."""

    def __init__(self, metadata: MetaData, migrations: str | Path) -> None:
        self.metadata = metadata
        self.migrations = Path(migrations)

    def setup(self) -> None:
        service = self.container.service_name
        uri = config.get("DB_URI", f"sqlite:///var/{service}.db")
        workers = int(config.get("max_workers", 10))
        # a connection per worker, unless the service says fewer do database work at once (DB_POOL_SIZE)
        self.engine = make_engine(uri, pool_size=int(config.get("DB_POOL_SIZE") or workers + 2))
        upgrade_to_head(self.engine, self.migrations)
        tables = (self.metadata.tables["outbox"], self.metadata.tables["processed_events"])
        self.relay = OutboxRelay(self.engine, tables[0], service, config["AMQP_URI"])
        self.store = Store(self.engine, self.relay, tables, service)

    def stop(self) -> None:
        self.relay.close()
        self.engine.dispose()

    def get_dependency(self, worker_ctx: Any) -> Store:
        return self.store


def store_of(container: Any) -> Store:
    """The service's ``Store``, for a dependency that writes outside a worker (a batch writer, a receipt).

    Asked at the write, not at set-up: a container sets its dependencies up in no fixed order.
    """
    for extension in container.dependencies:
        if isinstance(extension, Database):
            return extension.store
    raise RuntimeError(f"{container.service_name} has no Database dependency to write with")


def is_duplicate(exc: BaseException) -> bool:
    """True when a commit failed on a unique constraint (a concurrent duplicate)."""
    return isinstance(exc, IntegrityError)
