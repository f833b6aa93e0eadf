"""Intake's rules: the catalogue, the one-time notice of everything missing, and acceptance.

Pure Python: no nameko, no database, no clock. The service passes in ``now``, the calendar and
the next application number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sunlight.contracts import APPLICATION_ACCEPTED, Event, new_event
from sunlight.errors import IncompleteApplication

# [0-9], not \d: \d also matches full-width and other Unicode digits; fullmatch, as $ allows a trailing newline
MOBILE = re.compile(r"1[3-9][0-9]{9}")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class WorkingDays(Protocol):
    def add_working_days(self, start: date, n: int) -> date: ...


@dataclass(frozen=True)
class Material:
    code: str
    name: str
    mandatory: bool


@dataclass(frozen=True)
class Item:
    """One approval item of the catalogue of powers."""

    code: str
    name: str
    tenant: str
    category: str
    kind: str
    risk_level: int
    legal_basis: str
    process: str
    certificate_kind: str
    statutory_days: int
    promised_days: int
    materials: tuple[Material, ...]
    active: bool = True


@dataclass(frozen=True)
class Submission:
    """What the applicant hands in, already shaped by the schema."""

    item_code: str
    applicant_name: str
    applicant_kind: str  # person | company
    id_number: str
    mobile: str
    materials: Mapping[str, str]  # material code -> fingerprint (sha256) of the file received
    channel: str  # online | counter
    form: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Receipt:
    """The acceptance receipt (受理回执) the window hands over."""

    application_number: str
    query_code: str
    item_code: str
    item_name: str
    tenant: str
    accepted_at: datetime
    promised_date: date
    materials_received: tuple[str, ...]


def valid_resident_id(number: str) -> bool:
    """GB 11643 citizen ID: 17 digits and a check character over weighted sum mod 11."""
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11] == number[17]


def valid_credit_code(code: str) -> bool:
    """GB 32100 unified social credit code: 18 characters, check character mod 31."""
    if len(code) != 18 or any(ch not in USCC_CHARS for ch in code):
        return False
    total = sum(USCC_CHARS.index(ch) * w for ch, w in zip(code[:17], USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31] == code[17]


def problems_with(item: Item, submission: Submission) -> dict[str, list[str]]:
    """Everything wrong with a submission, by field: empty when it can be accepted."""
    problems: dict[str, list[str]] = {}
    if not item.active:
        problems["item_code"] = [f"item {item.code} is not accepting applications"]
    if submission.applicant_kind == "person" and not valid_resident_id(submission.id_number):
        problems["applicant.id_number"] = ["not a valid resident ID number (checksum)"]
    if submission.applicant_kind == "company" and not valid_credit_code(submission.id_number):
        problems["applicant.id_number"] = ["not a valid unified social credit code (checksum)"]
    if not MOBILE.fullmatch(submission.mobile):
        problems["applicant.mobile"] = ["not a mainland mobile number (11 digits starting 13-19)"]
    known = {material.code for material in item.materials}
    for material in item.materials:
        if material.mandatory and material.code not in submission.materials:
            problems[f"materials.{material.code}"] = [f"missing: {material.name}"]
    for code in submission.materials:
        if code not in known:
            problems[f"materials.{code}"] = [f"not a material of item {item.code}"]
    return problems


def require_complete(item: Item, submission: Submission) -> None:
    """Raise the one-time notice listing every problem, or return when complete."""
    problems = problems_with(item, submission)
    if problems:
        raise IncompleteApplication(
            f"application for {item.code} is incomplete: {len(problems)} problem(s)", problems
        )


def accept(
    item: Item,
    submission: Submission,
    *,
    application_number: str,
    query_code: str,
    now: datetime,
    calendar: WorkingDays,
    local_today: date,
    fees_due: Sequence[Mapping[str, Any]] = (),
) -> tuple[Receipt, Event]:
    """Accept a complete application: the receipt and the ``application.accepted`` event."""
    require_complete(item, submission)
    receipt = Receipt(
        application_number=application_number,
        query_code=query_code,
        item_code=item.code,
        item_name=item.name,
        tenant=item.tenant,
        accepted_at=now,
        promised_date=calendar.add_working_days(local_today, item.promised_days),
        materials_received=tuple(sorted(submission.materials)),
    )
    event = new_event(
        APPLICATION_ACCEPTED,
        application_number,
        {
            "application_number": application_number,
            "item_code": item.code,
            "item_name": item.name,
            "tenant": item.tenant,
            "process": item.process,
            "applicant": {"name": submission.applicant_name, "mobile": submission.mobile},
            "accepted_at": now,
            "promised_date": receipt.promised_date,
            "certificate_kind": item.certificate_kind,
            "fees_due": list(fees_due),
            "form": dict(submission.form),  # registry reads the project code and parcel from it
        },
        now,
    )
    return receipt, event


def application_number(prefix: str, year: int, sequence: int) -> str:
    """Readable and unique per tenant and year: ``HZ-2026-000001``."""
    return f"{prefix}-{year}-{sequence:06d}"
