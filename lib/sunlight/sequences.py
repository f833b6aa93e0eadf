"""Gap-free numbering (application numbers, certificate numbers) inside the caller's transaction.

The counter row is updated in the same transaction as the thing it numbers, so a rollback returns
the number and a commit uses it: no gap, no reuse. On PostgreSQL the row lock serializes replicas.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, MetaData, String, Table, insert, select, update
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
    row = session.execute(
        select(table.c.last_value).where(table.c.name == name).with_for_update()
    ).first()
    if row is None:
        # a concurrent first insert fails on the primary key; the caller's retry takes 2
        session.execute(insert(table).values(name=name, last_value=1))
        return 1
    value = int(row.last_value) + 1
    session.execute(update(table).where(table.c.name == name).values(last_value=value))
    return value
