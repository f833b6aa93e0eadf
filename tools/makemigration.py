"""Autogenerate the next Alembic revision of one service: ``python -m tools.makemigration intake "why"``.

Compares the service's models with a scratch SQLite database migrated to head; review the result.
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from sunlight.migrations import alembic_config, upgrade_to_head

ROOT = Path(__file__).resolve().parent.parent


def main(service: str, message: str) -> None:
    importlib.import_module(f"{service}.models")
    migrations = ROOT / "services" / service / "migrations"
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_engine(f"sqlite:///{scratch}/scratch.db")
        upgrade_to_head(engine, migrations)
        with engine.begin() as connection:
            command.revision(
                alembic_config(migrations, connection=connection), message=message, autogenerate=True
            )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
