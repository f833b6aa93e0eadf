"""Where gateway's files live."""

from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
