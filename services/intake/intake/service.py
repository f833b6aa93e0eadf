"""Intake's entrypoints: the one window (thin: validate, call the domain, persist)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from nameko import config
from sqlalchemy import Connection, Row, bindparam, func, insert, select
from sqlalchemy.orm import Session

from intake import documents, domain
from intake.catalogue import find_item, load_catalogue
from intake.items import Item
from intake.models import Application, Correction, Refusal, metadata, sequences
from intake.schemas import CorrectionSchema, ReceiptSchema, RefusalSchema, SubmissionSchema
from intake.settings import MIGRATIONS
from intake.views import item_in_full, item_summary
from sunlight import base, metrics, seals
from sunlight.calendar import WorkingCalendar
from sunlight.contracts import load_or_fail
from sunlight.db import Database, UnitOfWork, is_duplicate
from sunlight.errors import IncompleteApplication, NotFound, SunlightError
from sunlight.querycodes import code_digest, configured_key
from sunlight.rpc import rpc
from sunlight.sequences import next_value
from sunlight.tenants import tenant as tenant_of

CATALOGUE = load_catalogue()
CALENDAR = WorkingCalendar.default()
#: one instance of each schema, made once: making one copies all its fields, as costly as loading
SUBMISSION, RECEIPT = SubmissionSchema(), ReceiptSchema()
REFUSAL, CORRECTION = RefusalSchema(), CorrectionSchema()

# the statements of a submission, built once: building one cost more CPU than running it
APPLICATIONS = metadata.tables["applications"]
_BY_KEY = select(APPLICATIONS).where(APPLICATIONS.c.idempotency_key == bindparam("key"))
_LATEST_BY_FINGERPRINT = select(APPLICATIONS).where(
    APPLICATIONS.c.fingerprint == bindparam("fingerprint")).order_by(APPLICATIONS.c.accepted_at.desc()).limit(1)
_INSERT_APPLICATION = insert(APPLICATIONS)
_TURN = select(func.pg_advisory_xact_lock(bindparam("key")))


def repeat_window() -> timedelta:
    """How long the same applicant + item + materials counts as the same application."""
    return timedelta(hours=float(config.get("IDEMPOTENCY_WINDOW_HOURS", 24)))


class IntakeService(base.ServiceBase):
    """受理: receives applications at the window or online; never decides them (收办分离)."""

    name = "intake"
    db = Database(metadata, MIGRATIONS)

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def submit_application(self, application: dict[str, Any]) -> dict[str, Any]:
        """Accept a complete application, or list everything missing at once; a repeat returns the first receipt."""
        loaded = load_or_fail(SUBMISSION, application, "application")
        submission: domain.Submission = loaded["submission"]
        key = loaded["idempotency_key"]
        item = find_item(CATALOGUE, submission.item_code)
        fingerprint = domain.submission_fingerprint(submission)
        try:
            with self.db.unit_of_work() as uow:
                connection = uow.session.connection()
                # one at a time per fingerprint across replicas: a double click at the window is one application
                _take_turn(connection, fingerprint)
                now = datetime.now(UTC)
                if (earlier := _earlier(connection, key, fingerprint, now)) is not None:
                    metrics.APPLICATIONS_REPEATED.labels(item.tenant, item.code).inc()
                    return earlier
                receipt = self._accept(uow, item, submission, key, fingerprint, now)
        except Exception as exc:
            # a concurrent twin with the same key committed first: answer with its receipt
            if key and is_duplicate(exc):
                with self.db.read() as session:
                    if (earlier := _earlier(session.connection(), key, None, datetime.now(UTC))) is not None:
                        return earlier
            raise
        metrics.APPLICATIONS_ACCEPTED.labels(item.tenant, item.code).inc()
        return _receipt_dump(receipt)

    def _accept(self, uow: UnitOfWork, item: Item, submission: domain.Submission, key: str | None,
                fingerprint: str, now: datetime) -> domain.Receipt:
        """Inside ``uow``: number the complete application, write it and its ``application.accepted``."""
        try:
            domain.require_complete(item, submission)
        except IncompleteApplication:
            metrics.APPLICATIONS_INCOMPLETE.labels(item.tenant, item.code).inc()
            raise
        code_key, seal_secret = configured_key(), seals.configured_secret()
        number, query_code = self._next_number(uow, item.tenant, now), f"{secrets.randbelow(10**6):06d}"
        receipt, event = domain.accept(
            item,
            submission,
            application_number=number,
            query_code=query_code,
            now=now,
            calendar=CALENDAR,
            local_today=now.astimezone(CALENDAR.tz).date(),
            query_code_digest=code_digest(code_key, number, query_code) if code_key else None,
            sealed_query_code=seals.seal(seal_secret, number, query_code) if seal_secret else None,
        )
        uow.session.connection().execute(_INSERT_APPLICATION, _application_row(receipt, submission, key, fingerprint))
        uow.emit(event)
        return receipt

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def one_time_notice(self, application: dict[str, Any]) -> dict[str, Any]:
        """一次性告知: every missing or invalid material and field at once, and the page the window prints."""
        loaded = load_or_fail(SUBMISSION, application, "application")
        submission: domain.Submission = loaded["submission"]
        item = find_item(CATALOGUE, submission.item_code)
        problems = domain.problems_with(item, submission)
        html = documents.notice_html(problems, item, tenant_of(item.tenant), applicant_name=submission.applicant_name,
                                     today=datetime.now(UTC).astimezone(CALENDAR.tz).date())
        return {"complete": not problems, "problems": problems, "html": html}

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def refuse_application(self, refusal: dict[str, Any]) -> dict[str, Any]:
        """不予受理: a clerk refuses with a listed reason and its explanation; filed as ``application.refused``."""
        loaded = load_or_fail(REFUSAL, refusal, "refusal")
        submission: domain.Submission = load_or_fail(
            SUBMISSION, {**loaded["application"], "clerk_id": loaded["clerk_id"]}, "application"
        )["submission"]
        item = find_item(CATALOGUE, submission.item_code)
        now = datetime.now(UTC)
        # checked before a number is drawn, so a refusal without a reason leaves no trace
        domain.require_refusable(item, submission, loaded["reason_code"], loaded["reason_text"])
        with self.db.unit_of_work() as uow:
            filed, event = domain.refuse(item, submission, number=self._next_number(uow, item.tenant, now),
                                         reason_code=loaded["reason_code"], reason_text=loaded["reason_text"], now=now)
            uow.session.add(_refusal_row(filed))
            uow.emit(event)
        metrics.APPLICATIONS_REFUSED.labels(item.tenant, item.code, filed.reason_code).inc()
        return {"number": filed.number, "item_code": filed.item_code, "tenant": filed.tenant,
                "reason_code": filed.reason_code, "reason": filed.reason, "reason_text": filed.reason_text,
                "clerk_id": filed.clerk_id, "refused_at": filed.refused_at.isoformat()}

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def submit_correction(self, correction: dict[str, Any]) -> dict[str, Any]:
        """补正: re-submitted materials against an application number; workflow resumes the case on the event."""
        loaded = load_or_fail(CORRECTION, correction, "correction")
        files = loaded["materials"]
        now = datetime.now(UTC)
        with self.db.unit_of_work() as uow:
            row = uow.session.get(Application, loaded["application_number"], with_for_update=True)
            if row is None or (loaded["tenant"] is not None and row.tenant != loaded["tenant"]):
                raise NotFound(f"no application {loaded['application_number']!r}",
                               {"application_number": ["unknown application"]})
            item = find_item(CATALOGUE, row.item_code)
            taken, event = domain.correct(
                item, application_number=row.number, status=row.status, applicant_name=row.applicant_name,
                mobile=row.mobile, held=row.materials, resubmitted={c: f["sha256"] for c, f in files.items()},
                sizes={c: f["size_bytes"] for c, f in files.items() if f["size_bytes"] is not None},
                clerk_id=loaded["clerk_id"], now=now,
            )
            row.materials = dict(taken.materials)
            uow.session.add(Correction(application_number=row.number, materials=dict(taken.resubmitted),
                                       clerk_id=taken.clerk_id, corrected_at=now))
            uow.emit(event)
            receipt = _receipt_of(row)
        metrics.APPLICATIONS_CORRECTED.labels(item.tenant, item.code).inc()
        return _receipt_dump(receipt)

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def get_application(self, number: str, tenant: str | None = None) -> dict[str, Any]:
        """One application's receipt by its number (a window passing its tenant sees only its own)."""
        with self.db.read() as session:
            return _receipt_dump(_receipt_of(_application(session, number, tenant)))

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def print_receipt(self, number: str, tenant: str | None = None) -> str:
        """受理回执 as a printable HTML page."""
        with self.db.read() as session:
            row = _application(session, number, tenant)
            item = find_item(CATALOGUE, row.item_code)
            return documents.receipt_html(
                _receipt_of(row), item, tenant_of(row.tenant), applicant_name=row.applicant_name,
                local_accepted_at=row.accepted_at.astimezone(CALENDAR.tz))

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def list_items(self, category: str | None = None, tenant: str | None = None,
                   keyword: str | None = None) -> list[dict[str, Any]]:
        """The public catalogue, filtered by category, tenant and keyword (all optional)."""
        return [
            item_summary(item) for item in CATALOGUE.values()
            if item.active and (category is None or item.category == category)
            and (tenant is None or item.tenant == tenant) and (not keyword or item.matches(keyword))
        ]

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def get_item(self, code: str) -> dict[str, Any]:
        """One item in full: materials and their conditions, fees, form, limits and legal basis."""
        return item_in_full(find_item(CATALOGUE, code))

    @staticmethod
    def _next_number(uow: UnitOfWork, tenant_code: str, now: datetime) -> str:
        """Readable and unique per tenant and year, shared by acceptances and refusals."""
        office = tenant_of(tenant_code)
        year = now.astimezone(CALENDAR.tz).year
        sequence = next_value(uow.session, sequences, f"application:{office.code}:{year}")
        return domain.application_number(office.prefix, year, sequence)


def _take_turn(connection: Connection, fingerprint: str) -> None:
    """Wait for any transaction submitting the same fingerprint; ours then holds the turn until it ends.

    SQLite has already given it: the unit of work began with the file's write lock (BEGIN IMMEDIATE),
    which every replica's writer takes in turn. PostgreSQL: a transaction-scoped advisory lock on the
    fingerprint, so the twin of a double click waits for the first to commit and then finds it.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(_TURN, {"key": int(fingerprint[:16], 16) - (1 << 63)})  # a signed bigint


def _earlier(connection: Connection, key: str | None, fingerprint: str | None,
             now: datetime) -> dict[str, Any] | None:
    """The receipt of the same application sent before: by key, or by fingerprint within the window."""
    row = connection.execute(_BY_KEY, {"key": key}).first() if key else None
    if row is None and fingerprint:
        row = connection.execute(_LATEST_BY_FINGERPRINT, {"fingerprint": fingerprint}).first()
        if row is not None and not domain.is_repeat(row.accepted_at, now, repeat_window()):
            row = None
    return None if row is None else _receipt_dump(_receipt_of(row))


def _application(session: Session, number: str, tenant_code: str | None = None) -> Application:
    row = session.get(Application, number)
    if row is None or (tenant_code is not None and row.tenant != tenant_code):
        raise NotFound(f"no application {number!r}", {"number": ["unknown application"]})
    return row


def _application_row(receipt: domain.Receipt, submission: domain.Submission, key: str | None,
                     fingerprint: str) -> dict[str, Any]:
    return {
        "number": receipt.application_number,
        "tenant": receipt.tenant,
        "item_code": receipt.item_code,
        "applicant_name": submission.applicant_name,
        "applicant_kind": submission.applicant_kind,
        "id_number": submission.id_number,
        "mobile": submission.mobile,
        "materials": dict(submission.materials),
        "form": dict(submission.form),
        "channel": submission.channel,
        "query_code": receipt.query_code,
        "status": "accepted",
        "accepted_at": receipt.accepted_at,
        "promised_date": receipt.promised_date,
        "idempotency_key": key,
        "clerk_id": submission.clerk_id,
        "fingerprint": fingerprint,
        "fees_due": [dict(fee) for fee in receipt.fees_due],
    }


def _refusal_row(refusal: domain.Refusal) -> Refusal:
    return Refusal(
        number=refusal.number, tenant=refusal.tenant, item_code=refusal.item_code,
        applicant_name=refusal.applicant_name, applicant_kind=refusal.applicant_kind, id_number=refusal.id_number,
        mobile=refusal.mobile, reason_code=refusal.reason_code, reason_text=refusal.reason_text,
        clerk_id=refusal.clerk_id, channel=refusal.channel, refused_at=refusal.refused_at,
    )


def _receipt_of(row: Application | Row[Any]) -> domain.Receipt:
    item = CATALOGUE.get(row.item_code)
    return domain.Receipt(
        application_number=row.number,
        query_code=row.query_code,
        item_code=row.item_code,
        item_name=item.name if item else row.item_code,
        tenant=row.tenant,
        accepted_at=row.accepted_at,
        promised_date=row.promised_date,
        materials_received=tuple(sorted(row.materials)),
        fees_due=tuple(row.fees_due or ()),
        channel=row.channel,
        clerk_id=row.clerk_id,
    )


def _receipt_dump(receipt: domain.Receipt) -> dict[str, Any]:
    office = tenant_of(receipt.tenant)
    body = dict(RECEIPT.dump(receipt))
    # 收办分离: the window hands the case on by event; the case number is the application number
    body.update(case_number=receipt.application_number, window=office.window, window_phone=office.phone)
    return body
