"""Where supervision's files live, and the settings it reads from them."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
THRESHOLDS = Path(__file__).resolve().parent.parent / "thresholds.yml"
#: the discipline-inspection role (纪委 / 监察局): reads everything, changes nothing
INSPECTOR_ROLE = "inspector"


@lru_cache(maxsize=4)
def thresholds_config(path: str = str(THRESHOLDS)) -> dict[str, Any]:
    """The thresholds file: ``{defaults, tenants, items}``."""
    document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(document, dict):
        raise ValueError(f"{path}: expected a mapping with defaults, tenants, items")
    return document
