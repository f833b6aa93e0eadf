"""Gap-free numbering (application numbers, certificate numbers) inside the caller's transaction.

The counter row is updated in the same transaction as the thing it numbers, so a rollback returns
the number and a commit uses it: no gap, no reuse. On PostgreSQL the row lock serializes replicas.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, MetaData, String, Table
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
    # one upsert, so callers racing for the first number of a new counter wait for each other
    # instead of all but one failing on the primary key
    first = {"name": name, "last_value": 1}
    bump = {"last_value": table.c.last_value + 1}
    statement: postgresql.Insert | sqlite.Insert
    if session.get_bind().dialect.name == "postgresql":
        statement = postgresql.insert(table).values(first)
        statement = statement.on_conflict_do_update(index_elements=[table.c.name], set_=bump)
    else:
        statement = sqlite.insert(table).values(first)
        statement = statement.on_conflict_do_update(index_elements=[table.c.name], set_=bump)
    return int(session.execute(statement.returning(table.c.last_value)).scalar_one())
