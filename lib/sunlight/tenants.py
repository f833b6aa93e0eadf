"""The tenants (bureaus and town offices) sharing the platform and their departments' Chinese names,
from ``data/tenants.yml``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

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
def _document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return loaded


@lru_cache(maxsize=1)
def all_tenants() -> dict[str, Tenant]:
    """Every tenant by code."""
    return {code: Tenant(code=code, **{k: v for k, v in fields.items() if k != "departments"})
            for code, fields in _document()["tenants"].items()}


def tenant_name(code: str) -> str:
    """A tenant as people call it (杭州市拱墅区城市管理局); an unknown code shows as itself."""
    known = all_tenants().get(code)
    return known.name if known else code


def department_name(tenant_code: str, department: str) -> str:
    """A department as people call it (审批科), the tenant's own name first; an unknown code shows as itself."""
    own: dict[str, str] = _document()["tenants"].get(tenant_code, {}).get("departments") or {}
    shared: dict[str, str] = _document().get("departments") or {}
    return str(own.get(department) or shared.get(department) or department)


def tenant(code: str) -> Tenant:
    """One tenant; NotFound names the unknown code."""
    try:
        return all_tenants()[code]
    except KeyError:
        raise NotFound(f"unknown tenant {code!r}", {"tenant": ["unknown tenant"]}) from None
