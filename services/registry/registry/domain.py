"""Registry's rules: when a certificate or permit is issued, and how it is numbered.

Pure Python. Titles follow the official pattern ``浙(2026)杭州市不动产权第0000001号``; permits use the
tenant's permit prefix, e.g. ``拱城管许字(2026)第000001号``. Sequences run per tenant, kind and year.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sunlight.contracts import CERTIFICATE_ISSUED, Event, new_event
from sunlight.errors import ValidationFailed
from sunlight.tenants import Tenant

KINDS = ("title", "permit")


@dataclass(frozen=True)
class Certificate:
    number: str
    case_number: str
    kind: str
    tenant: str
    item_name: str
    holder_name: str
    holder_mobile: str
    issued_at: datetime
    verification_code: str


def sequence_name(kind: str, tenant: str, year: int) -> str:
    """The counter a certificate number is drawn from: one per kind, tenant and year."""
    return f"certificate:{kind}:{tenant}:{year}"


def certificate_number(kind: str, office: Tenant, year: int, sequence: int) -> str:
    """The official number of a title or permit."""
    if kind == "title":
        return f"{office.province}({year}){office.city}不动产权第{sequence:07d}号"
    if kind == "permit":
        prefix = office.permit_prefix or office.prefix
        return f"{prefix}许字({year})第{sequence:06d}号"
    raise ValidationFailed(f"unknown certificate kind {kind!r}", {"kind": [f"one of {KINDS}"]})


def issue(
    approved: Mapping[str, Any],
    *,
    case_number: str,
    number: str,
    verification_code: str,
    now: datetime,
) -> tuple[Certificate, Event]:
    """Issue the certificate of an approved case: the record and ``certificate.issued``."""
    holder = approved["applicant"]
    certificate = Certificate(
        number=number,
        case_number=case_number,
        kind=approved["certificate_kind"],
        tenant=approved["tenant"],
        item_name=approved["item_name"],
        holder_name=holder["name"],
        holder_mobile=holder["mobile"],
        issued_at=now,
        verification_code=verification_code,
    )
    event = new_event(
        CERTIFICATE_ISSUED,
        case_number,
        {"certificate_number": number, "kind": certificate.kind, "item_name": certificate.item_name,
         "tenant": certificate.tenant, "holder": {"name": holder["name"], "mobile": holder["mobile"]},
         "issued_at": now},
        now,
    )
    return certificate, event
