"""Intake's entrypoints: the one window (thin: validate, call the domain, persist)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from nameko.rpc import rpc
from sqlalchemy import select

from intake import domain
from intake.catalogue import find_item, load_catalogue
from intake.models import Application, metadata, sequences
from intake.schemas import ReceiptSchema, SubmissionSchema
from intake.settings import MIGRATIONS
from sunlight import base, metrics
from sunlight.calendar import WorkingCalendar
from sunlight.contracts import load_or_fail
from sunlight.db import Database
from sunlight.errors import IncompleteApplication, NotFound, SunlightError
from sunlight.sequences import next_value
from sunlight.tenants import tenant

CATALOGUE = load_catalogue()
CALENDAR = WorkingCalendar.default()


class IntakeService(base.ServiceBase):
    """受理: receives applications at the window or online; never decides them (收办分离)."""

    name = "intake"
    db = Database(metadata, MIGRATIONS)

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def submit_application(self, application: dict[str, Any]) -> dict[str, Any]:
        """Accept a complete application, or list everything missing at once."""
        loaded = load_or_fail(SubmissionSchema(), application, "application")
        submission: domain.Submission = loaded["submission"]
        key = loaded["idempotency_key"]
        item = find_item(CATALOGUE, submission.item_code)
        if key and (earlier := self._by_idempotency_key(key)) is not None:
            return earlier
        try:
            domain.require_complete(item, submission)
        except IncompleteApplication:
            metrics.APPLICATIONS_INCOMPLETE.labels(item.tenant, item.code).inc()
            raise
        now = datetime.now(UTC)
        office = tenant(item.tenant)
        with self.db.unit_of_work() as uow:
            year = now.astimezone(CALENDAR.tz).year
            number = domain.application_number(
                office.prefix, year, next_value(uow.session, sequences, f"application:{office.code}:{year}")
            )
            receipt, event = domain.accept(
                item,
                submission,
                application_number=number,
                query_code=f"{secrets.randbelow(10**6):06d}",
                now=now,
                calendar=CALENDAR,
                local_today=now.astimezone(CALENDAR.tz).date(),
            )
            uow.session.add(_application_row(receipt, submission, key))
            uow.emit(event)
        metrics.APPLICATIONS_ACCEPTED.labels(item.tenant, item.code).inc()
        return dict(ReceiptSchema().dump(receipt))

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def get_application(self, number: str) -> dict[str, Any]:
        """One application's receipt by its number."""
        with self.db.read() as session:
            row = session.get(Application, number)
            if row is None:
                raise NotFound(f"no application {number!r}", {"number": ["unknown application"]})
            return dict(ReceiptSchema().dump(_receipt_of(row)))

    @rpc  # type: ignore[untyped-decorator]
    def list_items(self) -> list[dict[str, Any]]:
        """The public catalogue: code, name, tenant, promised and statutory limits."""
        return [
            {"code": i.code, "name": i.name, "tenant": i.tenant, "promised_days": i.promised_days,
             "statutory_days": i.statutory_days, "materials": [m.name for m in i.materials]}
            for i in CATALOGUE.values()
        ]

    def _by_idempotency_key(self, key: str) -> dict[str, Any] | None:
        with self.db.read() as session:
            row = session.scalars(select(Application).where(Application.idempotency_key == key)).first()
            return None if row is None else dict(ReceiptSchema().dump(_receipt_of(row)))


def _application_row(receipt: domain.Receipt, submission: domain.Submission, key: str | None) -> Application:
    return Application(
        number=receipt.application_number,
        tenant=receipt.tenant,
        item_code=receipt.item_code,
        applicant_name=submission.applicant_name,
        applicant_kind=submission.applicant_kind,
        id_number=submission.id_number,
        mobile=submission.mobile,
        materials=dict(submission.materials),
        form=dict(submission.form),
        channel=submission.channel,
        query_code=receipt.query_code,
        status="accepted",
        accepted_at=receipt.accepted_at,
        promised_date=receipt.promised_date,
        idempotency_key=key,
    )


def _receipt_of(row: Application) -> domain.Receipt:
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
    )
