"""The tenants (bureaus and town offices) sharing the platform, from ``data/tenants.yml``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from sunlight.errors import NotFound

DATA = Path(__file__).parent / "data" / "tenants.yml"


@dataclass(frozen=True)
class Tenant:
    code: str
    name: str
    province: str
    city: str
    prefix: str
    sms_signature: str
    window: str
    phone: str
    permit_prefix: str = ""


@lru_cache(maxsize=1)
def all_tenants() -> dict[str, Tenant]:
    """Every tenant by code."""
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))["tenants"]
    return {code: Tenant(code=code, **fields) for code, fields in raw.items()}


def tenant(code: str) -> Tenant:
    """One tenant; NotFound names the unknown code."""
    try:
        return all_tenants()[code]
    except KeyError:
        raise NotFound(f"unknown tenant {code!r}", {"tenant": ["unknown tenant"]}) from None
