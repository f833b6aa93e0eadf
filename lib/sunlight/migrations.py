"""Alembic, one chain per service, applied when the service starts.

Each service's ``migrations/env.py`` is two lines: import the service's metadata and call
``run_env``. Replicas starting together on PostgreSQL take an advisory lock so one migrates.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Engine, MetaData, create_engine, text


def alembic_config(migrations: Path, connection: Any = None, uri: str | None = None) -> Config:
    """An Alembic Config for one service's chain, without an alembic.ini."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations))
    if uri:
        cfg.set_main_option("sqlalchemy.url", uri)
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade_to_head(engine: Engine, migrations: Path) -> None:
    """Apply every pending migration of the chain in ``migrations``."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            lock_key = zlib.crc32(str(migrations.resolve().parent.name).encode())
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key})
        command.upgrade(alembic_config(migrations, connection=connection), "head")


def run_env(metadata: MetaData) -> None:
    """Body of a service's env.py: run migrations online on the connection we are given."""
    cfg = context.config
    connection = cfg.attributes.get("connection")
    if connection is None:
        engine = create_engine(cfg.get_main_option("sqlalchemy.url") or "sqlite://")
        with engine.begin() as own_connection:
            _configure_and_run(own_connection, metadata)
        return
    _configure_and_run(connection, metadata)


def _configure_and_run(connection: Any, metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
