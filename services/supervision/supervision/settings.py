"""Where supervision's files live, and the settings it reads from them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from nameko import config

from sunlight.calendar import WorkingCalendar
from supervision.watch import Rules

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
THRESHOLDS = Path(__file__).resolve().parent.parent / "thresholds.yml"
#: the discipline-inspection role (纪委 / 监察局): reads everything, changes nothing
INSPECTOR_ROLE = "inspector"
CALENDAR = WorkingCalendar.default()


@lru_cache(maxsize=4)
def thresholds_config(path: str = str(THRESHOLDS)) -> dict[str, Any]:
    """The thresholds file: ``{defaults, tenants, items}``."""
    document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(document, dict):
        raise ValueError(f"{path}: expected a mapping with defaults, tenants, items")
    return document


def now() -> datetime:
    """Now, moved on by ``CLOCK_OFFSET_SECONDS`` (rehearsals and tests only: to see lights fall due days ahead)."""
    return datetime.now(UTC) + timedelta(seconds=float(config.get("CLOCK_OFFSET_SECONDS") or 0))


def rules() -> Rules:
    """The calendar and the thresholds file (``THRESHOLDS_FILE``) lights are computed with."""
    return Rules(CALENDAR, thresholds_config(str(config.get("THRESHOLDS_FILE") or THRESHOLDS)))


def recording_batch() -> tuple[int, float]:
    """How many events one recording transaction takes at most (``RECORD_BATCH_LIMIT``), and how long the
    recorder waits for that many before it writes fewer (``RECORD_LINGER_MS``).

    Nothing a person waits for waits on the audit: lights are due in working hours and days, and a delivery
    is acknowledged once its batch is committed. Larger batches reconcile each case they touch once for
    several of its events. The limit stays below the consumer's ``PREFETCH_COUNT``, so that the next batch
    gathers while one is written.
    """
    limit, linger_ms = config.get("RECORD_BATCH_LIMIT"), config.get("RECORD_LINGER_MS")
    return int(50 if limit is None else limit), float(50 if linger_ms is None else linger_ms) / 1000
