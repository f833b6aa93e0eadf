"""Intake's rules: the one-time notice of everything missing, acceptance, refusal and correction.

Pure Python: no nameko, no database, no clock. The service passes in ``now``, the calendar and
the next application number.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from intake.items import Fee, Item, Material
from sunlight import mobiles
from sunlight.contracts import APPLICATION_ACCEPTED, APPLICATION_CORRECTED, APPLICATION_REFUSED, Event, new_event
from sunlight.errors import Conflict, IncompleteApplication, ValidationFailed

# [0-9], not \d: \d also matches full-width and other Unicode digits; fullmatch, as $ allows a trailing newline
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class WorkingDays(Protocol):
    def add_working_days(self, start: date, n: int) -> date: ...


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
    material_sizes: Mapping[str, int] = field(default_factory=dict)  # material code -> bytes, when told
    clerk_id: str | None = None  # the clerk who submits at the counter on a walk-in applicant's behalf
    tenant: str | None = None  # the window's tenant, when the window says which it is
    fees_claimed: tuple[str, ...] | None = None  # fee codes the window means to charge; None: as listed


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
    fees_due: tuple[Mapping[str, Any], ...] = ()
    channel: str = "online"
    clerk_id: str | None = None


def resident_id_check(seventeen: str) -> str:
    """GB 11643: the check character of a citizen ID's first 17 digits (weighted sum mod 11)."""
    total = sum(int(d) * w for d, w in zip(seventeen, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def credit_code_check(seventeen: str) -> str:
    """GB 32100: the check character of a unified social credit code's first 17 characters (mod 31)."""
    total = sum(USCC_CHARS.index(ch) * w for ch, w in zip(seventeen, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def valid_resident_id(number: str) -> bool:
    """GB 11643 citizen ID: 17 digits and their check character."""
    return bool(re.fullmatch(r"[0-9]{17}[0-9X]", number)) and resident_id_check(number[:17]) == number[17]


def valid_credit_code(code: str) -> bool:
    """GB 32100 unified social credit code: 18 characters, the last its check character."""
    if len(code) != 18 or any(ch not in USCC_CHARS for ch in code):
        return False
    return credit_code_check(code[:17]) == code[17]


def problems_with(item: Item, submission: Submission) -> dict[str, list[str]]:
    """Everything wrong with a submission, by field: empty when it can be accepted."""
    problems: dict[str, list[str]] = {}
    if not item.active:
        problems["item_code"] = [f"item {item.code} is not accepting applications"]
    if submission.tenant is not None and submission.tenant != item.tenant:
        problems["tenant"] = [f"item {item.code} is received by {item.tenant}, not by {submission.tenant}"]
    if submission.applicant_kind == "person" and not valid_resident_id(submission.id_number):
        problems["applicant.id_number"] = ["not a valid resident ID number (checksum)"]
    if submission.applicant_kind == "company" and not valid_credit_code(submission.id_number):
        problems["applicant.id_number"] = ["not a valid unified social credit code (checksum)"]
    if not mobiles.is_mobile(submission.mobile):
        problems["applicant.mobile"] = [mobiles.REASON]
    problems.update(_form_problems(item, submission.form))
    for material in item.materials:
        if material.required(submission.form, submission.applicant_kind) and material.code not in submission.materials:
            problems[f"materials.{material.code}"] = [f"missing: {material.name}"]
    problems.update(material_problems(item, submission.materials, submission.material_sizes))
    problems.update(_fee_problems(item, submission))
    return problems


def material_problems(
    item: Item, materials: Mapping[str, str], sizes: Mapping[str, int], *, kept: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """Materials not of this item, over their size limit, or the same file handed in as another material."""
    problems: dict[str, list[str]] = {}
    first_code_of: dict[str, str] = {digest: code for code, digest in (kept or {}).items() if code not in materials}
    for code, digest in sorted(materials.items()):
        known: Material | None = item.material(code)
        reasons: list[str] = []
        if known is None:
            reasons.append(f"not a material of item {item.code}")
        elif sizes.get(code, 0) > known.max_bytes:
            reasons.append(f"{sizes[code]} bytes, more than the {known.max_bytes // (1024 * 1024)} MB allowed")
        if digest in first_code_of:
            reasons.append(f"the same file as materials.{first_code_of[digest]}")
        first_code_of.setdefault(digest, code)
        if reasons:
            problems[f"materials.{code}"] = reasons
    return problems


def _form_problems(item: Item, form: Mapping[str, Any]) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    for form_field in item.form:
        value = form.get(form_field.name)
        if value is None or value == "" or value == []:
            if form_field.required:
                problems[f"form.{form_field.name}"] = [f"missing: {form_field.label}"]
            continue
        reason = form_field.problem_with(value)
        if reason:
            problems[f"form.{form_field.name}"] = [f"{form_field.label}: {reason}"]
    known = {form_field.name for form_field in item.form}
    for name in form:
        if name not in known:
            problems[f"form.{name}"] = [f"not a field of item {item.code}"]
    return problems


def _fee_problems(item: Item, submission: Submission) -> dict[str, list[str]]:
    if submission.fees_claimed is None:
        return {}
    due = {fee.code for fee in fees_due(item, submission)}
    listed = {fee.code for fee in item.fees}
    problems: dict[str, list[str]] = {}
    for code in submission.fees_claimed:
        if code not in listed:
            problems[f"fees.{code}"] = [f"not a fee of item {item.code}: nothing unlisted may be charged"]
        elif code not in due:
            problems[f"fees.{code}"] = ["listed, but not due on this application"]
    return problems


def fees_due(item: Item, submission: Submission) -> tuple[Fee, ...]:
    """The catalogue's fees that apply to this application (a claimed subset, if the window names one)."""
    due = tuple(fee for fee in item.fees if fee.due(submission.form, submission.applicant_kind))
    if submission.fees_claimed is None:
        return due
    return tuple(fee for fee in due if fee.code in submission.fees_claimed)


def require_complete(item: Item, submission: Submission) -> None:
    """Raise the one-time notice listing every problem, or return when complete."""
    problems = problems_with(item, submission)
    if problems:
        raise IncompleteApplication(
            f"application for {item.code} is incomplete: {len(problems)} problem(s)", problems
        )


def submission_fingerprint(submission: Submission) -> str:
    """The same applicant, item and files: a repeat of one application, whatever its key."""
    identity = [submission.item_code, submission.applicant_kind, submission.id_number.upper(),
                sorted(submission.materials.items())]
    return hashlib.sha256(json.dumps(identity, ensure_ascii=False).encode()).hexdigest()


def is_repeat(earlier_accepted_at: datetime, now: datetime, window: timedelta) -> bool:
    """An application with the same fingerprint accepted within ``window`` is this one, sent again."""
    return now - earlier_accepted_at <= window


def accept(
    item: Item,
    submission: Submission,
    *,
    application_number: str,
    query_code: str,
    now: datetime,
    calendar: WorkingDays,
    local_today: date,
    query_code_digest: str | None = None,
    sealed_query_code: str | None = None,
) -> tuple[Receipt, Event]:
    """Accept a complete application: the receipt and the ``application.accepted`` event.

    The query code is on the receipt only. ``query_code_digest`` (sunlight.querycodes) lets the gateway check a
    query code from the event alone; ``sealed_query_code`` (sunlight.seals) lets notify text it to the applicant.
    """
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
        fees_due=tuple(fee.as_due() for fee in fees_due(item, submission)),
        channel=submission.channel,
        clerk_id=submission.clerk_id,
    )
    digest = {"query_code_digest": query_code_digest} if query_code_digest else {}
    sealed = {"sealed_query_code": sealed_query_code} if sealed_query_code else {}
    event = new_event(
        APPLICATION_ACCEPTED,
        application_number,
        {
            **digest,
            **sealed,
            "application_number": application_number,
            "item_code": item.code,
            "item_name": item.name,
            "tenant": item.tenant,
            "process": item.process,
            "applicant": {"name": submission.applicant_name, "mobile": submission.mobile},
            "accepted_at": now,
            "promised_date": receipt.promised_date,
            "certificate_kind": item.certificate_kind,
            "fees_due": [dict(fee) for fee in receipt.fees_due],
            "form": dict(submission.form),  # registry reads the project code and parcel from it
            "permit_series": item.permit_series,
        },
        now,
    )
    return receipt, event


def application_number(prefix: str, year: int, sequence: int) -> str:
    """Readable and unique per tenant and year: ``HZ-2026-000001``."""
    return f"{prefix}-{year}-{sequence:06d}"


#: the grounds on which a window may refuse (不予受理), after Administrative Licensing Law Art. 32
REFUSAL_REASONS: dict[str, str] = {
    "outside-remit": "申请事项依法不属于本机关职权范围",
    "no-licence-needed": "申请事项依法不需要取得行政许可",
    "false-materials": "申请人隐瞒有关情况或者提供虚假材料",
    "ineligible-applicant": "申请人不具备申请资格",
    "correction-overdue": "申请人逾期未补正申请材料",
    "other-statutory": "法律、法规规定的其他不予受理情形",
}
MIN_REASON_TEXT = 4


@dataclass(frozen=True)
class Refusal:
    """A refusal at the window and its filed reason (否定报备)."""

    number: str
    item_code: str
    item_name: str
    tenant: str
    applicant_name: str
    applicant_kind: str
    id_number: str
    mobile: str
    reason_code: str
    reason: str
    reason_text: str
    clerk_id: str
    channel: str
    refused_at: datetime


def refusal_problems(item: Item, submission: Submission, reason_code: str, reason_text: str) -> dict[str, list[str]]:
    """Why a refusal cannot be filed: no listed reason, no explanation, nobody to tell or nobody refusing."""
    problems: dict[str, list[str]] = {}
    if reason_code not in REFUSAL_REASONS:
        problems["reason_code"] = [f"choose one of {', '.join(REFUSAL_REASONS)}"]
    if len(reason_text.strip()) < MIN_REASON_TEXT:
        problems["reason_text"] = [f"explain the refusal to the applicant in at least {MIN_REASON_TEXT} characters"]
    if not submission.clerk_id:
        problems["clerk_id"] = ["a refusal names the clerk who refuses"]
    if submission.tenant is not None and submission.tenant != item.tenant:
        problems["tenant"] = [f"item {item.code} is received by {item.tenant}, not by {submission.tenant}"]
    if not mobiles.is_mobile(submission.mobile):
        problems["applicant.mobile"] = [mobiles.REASON]
    return problems


def require_refusable(item: Item, submission: Submission, reason_code: str, reason_text: str) -> None:
    """Raise ValidationFailed naming every reason the refusal cannot be filed."""
    problems = refusal_problems(item, submission, reason_code, reason_text)
    if problems:
        raise ValidationFailed(f"refusal of {item.code} cannot be filed", problems)


def refuse(
    item: Item, submission: Submission, *, number: str, reason_code: str, reason_text: str, now: datetime
) -> tuple[Refusal, Event]:
    """Refuse with a listed reason and its explanation: the filed refusal and ``application.refused``."""
    require_refusable(item, submission, reason_code, reason_text)
    refusal = Refusal(
        number=number, item_code=item.code, item_name=item.name, tenant=item.tenant,
        applicant_name=submission.applicant_name, applicant_kind=submission.applicant_kind,
        id_number=submission.id_number, mobile=submission.mobile, reason_code=reason_code,
        reason=REFUSAL_REASONS[reason_code], reason_text=reason_text.strip(),
        clerk_id=str(submission.clerk_id), channel=submission.channel, refused_at=now,
    )
    event = new_event(APPLICATION_REFUSED, number, {
        "application_number": number, "item_code": item.code, "item_name": item.name, "tenant": item.tenant,
        "applicant": {"name": refusal.applicant_name, "mobile": refusal.mobile},
        "reason_code": reason_code, "reason": refusal.reason, "reason_text": refusal.reason_text,
        "clerk_id": refusal.clerk_id, "channel": refusal.channel, "refused_at": now,
    }, now)
    return refusal, event


@dataclass(frozen=True)
class Correction:
    """Materials re-submitted (补正) against an accepted application."""

    application_number: str
    resubmitted: Mapping[str, str]
    materials: Mapping[str, str]  # everything held for the application after the correction
    clerk_id: str | None
    corrected_at: datetime


def correct(
    item: Item,
    *,
    application_number: str,
    status: str,
    applicant_name: str,
    mobile: str,
    held: Mapping[str, str],
    resubmitted: Mapping[str, str],
    sizes: Mapping[str, int],
    clerk_id: str | None,
    now: datetime,
) -> tuple[Correction, Event]:
    """Take re-submitted materials for an application; workflow resumes its case on ``application.corrected``."""
    if status != "accepted":
        raise Conflict(f"application {application_number} is {status}; only an accepted one can be corrected",
                       {"application_number": [f"application is {status}"]})
    problems = material_problems(item, resubmitted, sizes, kept=held)
    if not resubmitted:
        problems["materials"] = ["a correction re-submits at least one material"]
    if problems:
        raise IncompleteApplication(f"correction of {application_number} is invalid", problems)
    correction = Correction(application_number=application_number, resubmitted=dict(resubmitted),
                            materials={**held, **resubmitted}, clerk_id=clerk_id, corrected_at=now)
    event = new_event(APPLICATION_CORRECTED, application_number, {
        "application_number": application_number, "item_code": item.code, "tenant": item.tenant,
        "applicant": {"name": applicant_name, "mobile": mobile}, "materials": sorted(resubmitted),
        "corrected_at": now, "clerk_id": clerk_id,
    }, now)
    return correction, event
