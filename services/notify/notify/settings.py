"""Where notify's files live."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "migrations"
TEMPLATES = ROOT / "templates.yml"
STAFF = ROOT / "staff.yml"
