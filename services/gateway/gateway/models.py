"""Gateway's own database: for now only the outbox every service keeps (users and sessions come next)."""

from __future__ import annotations

from sqlalchemy import MetaData

from sunlight.db import infrastructure_tables

metadata = MetaData()
infrastructure_tables(metadata)
