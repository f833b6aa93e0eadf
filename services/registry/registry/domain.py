"""Registry's rules: when a certificate or permit is issued, and how it is numbered.

Pure Python. Titles follow the official pattern ``浙(2026)杭州市不动产权第0000001号``; permits use the
tenant's permit prefix and the item's series, e.g. ``拱城管(招牌)许字(2026)第000001号``. Sequences run per
tenant, kind (and permit series) and year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sunlight.contracts import (
    CERTIFICATE_ISSUED,
    MORTGAGE_REGISTERED,
    MORTGAGE_RELEASED,
    PAYMENT_RECORDED,
    PAYMENT_REFUNDED,
    Event,
    new_event,
)
from sunlight.errors import Conflict, NotFound, ValidationFailed
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


def sequence_name(kind: str, tenant: str, year: int, series: str = "") -> str:
    """The counter a certificate number is drawn from: one per kind (and permit series), tenant and year."""
    return f"certificate:{kind}{':' + series if series else ''}:{tenant}:{year}"


def certificate_number(kind: str, office: Tenant, year: int, sequence: int, series: str = "") -> str:
    """The official number of a title, or of a permit in its series: ``拱城管(招牌)许字(2026)第000001号``."""
    if kind == "title":
        return f"{office.province}({year}){office.city}不动产权第{sequence:07d}号"
    if kind == "permit":
        prefix = office.permit_prefix or office.prefix
        return f"{prefix}{f'({series})' if series else ''}许字({year})第{sequence:06d}号"
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


# --- fees: a case's listed fees and what has been paid (issue 6) -----------------------------------

MORTGAGE_RANKS_ALLOWED = 2
RIGHT_TYPES = ("allocated", "granted", "leased")


@dataclass(frozen=True)
class FeeDue:
    """A fee the catalogue lists for the case's item, in fen (分)."""

    code: str
    name: str
    amount_fen: int
    basis: str = ""


@dataclass(frozen=True)
class Payment:
    fee_code: str
    amount_fen: int
    refunded: bool = False


@dataclass(frozen=True)
class CaseFile:
    """Registry's view of a case: issuance waits until approval and every listed fee meet."""

    case_number: str
    fees_known: bool
    approved: bool
    withdrawn: bool
    issued: bool


def outstanding(fees: Sequence[FeeDue], payments: Sequence[Payment]) -> list[FeeDue]:
    """The listed fees not (or no longer) paid."""
    paid = {p.fee_code for p in payments if not p.refunded}
    return [fee for fee in fees if fee.code not in paid]


def settle(case: CaseFile, fees: Sequence[FeeDue], payments: Sequence[Payment],
           *, fee_code: str, amount_fen: int) -> FeeDue:
    """The listed fee a payment settles; refuse an unlisted fee or amount, a fee paid twice, a closed case."""
    if case.withdrawn:
        raise Conflict(f"case {case.case_number} was withdrawn", {"case_number": ["withdrawn: nothing to pay"]})
    fee = next((f for f in fees if f.code == fee_code), None)
    if fee is None:
        listed = [f"{f.code} ({f.amount_fen} fen)" for f in fees] or ["no fee is listed for this case"]
        raise ValidationFailed(f"fee {fee_code!r} is not listed for case {case.case_number}",
                               {"fee_code": [f"listed: {', '.join(listed)}"]})
    if amount_fen != fee.amount_fen:
        raise ValidationFailed(f"{fee.name} is {fee.amount_fen} fen, not {amount_fen}",
                               {"amount_fen": [f"the catalogue lists {fee.amount_fen} fen for {fee.code}"]})
    if fee not in outstanding(fees, payments):
        raise Conflict(f"{fee.name} of case {case.case_number} is already paid", {"fee_code": ["already paid"]})
    return fee


def ready_to_issue(case: CaseFile, fees: Sequence[FeeDue], payments: Sequence[Payment]) -> bool:
    """True when, and only when, the case is approved, every listed fee paid, and nothing issued yet."""
    return (case.fees_known and case.approved and not case.withdrawn and not case.issued
            and not outstanding(fees, payments))


def payment_recorded(case_number: str, *, payment_id: int, fee: FeeDue, tenant: str, all_paid: bool,
                     now: datetime) -> Event:
    """``payment.recorded``: the window took a listed fee."""
    return new_event(PAYMENT_RECORDED, case_number,
                     {"payment_id": payment_id, "fee_code": fee.code, "amount_fen": fee.amount_fen,
                      "tenant": tenant, "paid_at": now, "all_paid": all_paid}, now)


def payment_refunded(case_number: str, *, payment_id: int, payment: Payment, tenant: str, reason: str,
                     now: datetime) -> Event:
    """``payment.refunded``: a fee paid on a withdrawn application goes back."""
    return new_event(PAYMENT_REFUNDED, case_number,
                     {"payment_id": payment_id, "fee_code": payment.fee_code, "amount_fen": payment.amount_fen,
                      "tenant": tenant, "refunded_at": now, "reason": reason}, now)


# --- the project code (统一赋码) ---------------------------------------------------------------------


def project_code(form: Mapping[str, Any], *, prefix: str, year: int, sequence: int | None) -> str:
    """The code a project keeps through every application: the one given (e.g. by the provincial
    investment platform), else a new ``HZ-XM-2026-000001``."""
    given = str(form.get("project_code") or "").strip()
    if given:
        return given
    if sequence is None:
        raise ValueError("a new project code needs a sequence number")
    return f"{prefix}-XM-{year}-{sequence:06d}"


def wants_new_project(form: Mapping[str, Any]) -> bool:
    """True when the application names no project code: it is the project's first."""
    return not str(form.get("project_code") or "").strip()


# --- parcels and mortgages ---------------------------------------------------------------------------


def mortgage_number(office: Tenant, year: int, sequence: int) -> str:
    """The official number of a certificate of mortgage (不动产登记证明)."""
    return f"{office.province}({year}){office.city}不动产证明第{sequence:07d}号"


def mortgage_rank(*, title_kind: str | None, title_status: str, active_mortgages: int, title_number: str) -> int:
    """The rank a new mortgage takes on a title, or a typed refusal.

    Civil Code Art. 414 lets one property secure several debts, ranked by registration order; we
    allow a second rank and refuse a third, since without a valuation we cannot check the total.
    """
    if title_kind is None:
        raise NotFound(f"no title {title_number!r}", {"title_number": ["not a title we issued"]})
    if title_kind != "title":
        raise ValidationFailed(f"{title_number} is a {title_kind}, not a title",
                               {"title_number": ["only a land or real-estate title can be mortgaged"]})
    if title_status != "current":
        raise Conflict(f"title {title_number} is {title_status}", {"title_number": [f"title is {title_status}"]})
    if active_mortgages >= MORTGAGE_RANKS_ALLOWED:
        raise Conflict(f"title {title_number} already carries {active_mortgages} mortgages",
                       {"title_number": [f"at most {MORTGAGE_RANKS_ALLOWED} mortgage ranks at once"]})
    return active_mortgages + 1


def mortgage_registered(*, number: str, title_number: str, rank: int, amount_fen: int, tenant: str,
                        now: datetime) -> Event:
    """``mortgage.registered``."""
    return new_event(MORTGAGE_REGISTERED, None,
                     {"mortgage_number": number, "title_number": title_number, "rank": rank,
                      "amount_fen": amount_fen, "tenant": tenant, "registered_at": now}, now)


def mortgage_released(*, number: str, title_number: str, tenant: str, now: datetime) -> Event:
    """``mortgage.released``."""
    return new_event(MORTGAGE_RELEASED, None,
                     {"mortgage_number": number, "title_number": title_number, "tenant": tenant,
                      "released_at": now}, now)


def mask_name(name: str) -> str:
    """王** / 杭*************: what the public may see of a holder's name."""
    return (name[:1] + "*" * (len(name) - 1)) if name else ""
