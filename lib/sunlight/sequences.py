"""Gap-free numbering (application numbers, certificate numbers) inside the caller's transaction.

The counter row is updated in the same transaction as the thing it numbers, so a rollback returns
the number and a commit uses it: no gap, no reuse. On PostgreSQL the row lock serializes replicas.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import BigInteger, Column, MetaData, String, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def sequence_table(metadata: MetaData) -> Table:
    """The counters table of one service's database."""
    return Table(
        "sequences",
        metadata,
        Column("name", String(128), primary_key=True),
        Column("last_value", BigInteger, nullable=False),
    )


def next_value(session: Session, table: Table, name: str) -> int:
    """The next number of counter ``name`` (1 for a new counter), locked until commit."""
    statement = _bump(table, session.get_bind().dialect.name)
    return int(session.connection().execute(statement, {"name": name}).scalar_one())


@functools.cache
def _bump(table: Table, dialect: str) -> Any:
    """One upsert, built once per table and dialect (building it cost more than running it): callers racing
    for the first number of a new counter wait for each other instead of all but one failing on the key."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(name=bindparam("name"), last_value=1)
    return statement.on_conflict_do_update(
        index_elements=[table.c.name], set_={"last_value": table.c.last_value + 1}
    ).returning(table.c.last_value)
