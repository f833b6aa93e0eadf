"""Case files in registry's database: the statements of the event path, built once.

Every case passes here twice (``application.accepted``, ``case.approved``) and once more to be issued.
These are SQL statements made at import and run with parameters, not ORM objects: building a
statement, tracking objects and flushing them cost more CPU than the database did.

Taking the case file is one upsert that also locks it: ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``
locks the row it finds (as ``SELECT ... FOR UPDATE`` did on PostgreSQL; SQLite has one writer) and
hands back the file as it is now, so an approval and the last payment, or the same event delivered
twice, are still decided one after the other: exactly one certificate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Connection, Insert, bindparam, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from registry import domain
from registry.models import metadata

CASE_FILES, FEES_DUE, PAYMENTS, CERTIFICATES, PROJECTS = (
    metadata.tables[name] for name in ("case_files", "fees_due", "payments", "certificates", "projects"))


@dataclass(frozen=True)
class CaseFile:
    """A case file's row as this transaction holds it (locked)."""

    case_number: str
    tenant: str
    item_code: str
    item_name: str
    certificate_kind: str
    holder_name: str
    holder_mobile: str
    project_code: str | None
    parcel: dict[str, Any] | None
    permit_series: str | None
    fees_known: bool
    accepted_at: datetime | None
    approved_at: datetime | None
    withdrawn_at: datetime | None

    @property
    def may_issue(self) -> bool:
        """False when the file alone says no (not approved, fees unknown, withdrawn): nothing more to read."""
        return self.fees_known and self.approved_at is not None and self.withdrawn_at is None


_OPENED = ("tenant", "item_code", "item_name", "certificate_kind", "holder_name", "holder_mobile")
_ACCEPTED = ("accepted_at", "permit_series", "parcel", "holder_name", "holder_mobile")
# None is SQL NULL here, as when the ORM left the column out (the column's own JSON type would write 'null')
_PARCEL = bindparam("parcel", type_=JSON(none_as_null=True))


def _take(dialect_insert: Callable[[Any], Any], columns: Sequence[str],
          on_conflict: Callable[[Any], Mapping[str, Any]]) -> Insert:
    """Insert the case file if new, else apply ``on_conflict``; either way lock it and return it."""
    values = {name: _PARCEL if name == "parcel" else bindparam(name) for name in ("case_number", *columns)}
    statement = dialect_insert(CASE_FILES).values(values)
    return statement.on_conflict_do_update(  # type: ignore[no-any-return]
        index_elements=[CASE_FILES.c.case_number], set_=on_conflict(statement.excluded),
    ).returning(*CASE_FILES.c)


def _both(columns: Sequence[str], on_conflict: Callable[[Any], Mapping[str, Any]]) -> dict[str, Insert]:
    return {"postgresql": _take(postgresql.insert, columns, on_conflict),
            "sqlite": _take(sqlite.insert, columns, on_conflict)}


# acceptance: who, what, when accepted, which parcel (a later acceptance of the same case overwrites them)
_TAKE_ACCEPTED = _both((*_OPENED, "fees_known", "accepted_at", "permit_series", "parcel"),
                       lambda excluded: {name: excluded[name] for name in _ACCEPTED})
# approval: the first approval's time stays
_TAKE_APPROVED = _both((*_OPENED, "fees_known", "approved_at"), lambda excluded: {
    "approved_at": func.coalesce(CASE_FILES.c.approved_at, excluded.approved_at)})
_ACCEPTANCE_DONE = update(CASE_FILES).where(CASE_FILES.c.case_number == bindparam("number")).values(
    project_code=bindparam("project_code"), fees_known=True)
_ADD_FEES = insert(FEES_DUE)
_ADD_PROJECT = {"postgresql": postgresql.insert(PROJECTS).on_conflict_do_nothing(index_elements=["code"]),
                "sqlite": sqlite.insert(PROJECTS).on_conflict_do_nothing(index_elements=["code"])}
_ISSUED = select(CERTIFICATES.c.number).where(CERTIFICATES.c.case_number == bindparam("number"))
_FEES = select(FEES_DUE.c.code, FEES_DUE.c.name, FEES_DUE.c.amount_fen, FEES_DUE.c.basis).where(
    FEES_DUE.c.case_number == bindparam("number")).order_by(FEES_DUE.c.id)
_PAYMENTS = select(PAYMENTS.c.fee_code, PAYMENTS.c.amount_fen, PAYMENTS.c.refunded_at).where(
    PAYMENTS.c.case_number == bindparam("number")).order_by(PAYMENTS.c.id)
_ADD_CERTIFICATE = insert(CERTIFICATES)


def take_accepted(connection: Connection, case_number: str, opened: Mapping[str, Any], *,
                  accepted_at: datetime, permit_series: str | None,
                  parcel: Mapping[str, Any] | None) -> CaseFile:
    """The case file, created if new, with the acceptance's facts; locked for the rest of the transaction."""
    row = connection.execute(_TAKE_ACCEPTED[connection.dialect.name], {
        "case_number": case_number, **opened, "fees_known": False, "accepted_at": accepted_at,
        "permit_series": permit_series, "parcel": dict(parcel) if parcel else None}).one()
    return CaseFile(**row._mapping)


def take_approved(connection: Connection, case_number: str, opened: Mapping[str, Any], *,
                  approved_at: datetime) -> CaseFile:
    """The case file, created if new, approved at ``approved_at`` unless it was before; locked."""
    row = connection.execute(_TAKE_APPROVED[connection.dialect.name], {
        "case_number": case_number, **opened, "fees_known": False, "approved_at": approved_at}).one()
    return CaseFile(**row._mapping)


def finish_acceptance(connection: Connection, case_number: str, *, project_code: str,
                      fees: Sequence[domain.FeeDue]) -> None:
    """Note the project code and that the fees are known, listing ``fees`` (given only the first time)."""
    connection.execute(_ACCEPTANCE_DONE, {"number": case_number, "project_code": project_code})
    if fees:
        connection.execute(_ADD_FEES, [{"case_number": case_number, "code": fee.code, "name": fee.name,
                                        "amount_fen": fee.amount_fen, "basis": fee.basis} for fee in fees])


def add_project(connection: Connection, *, code: str, tenant: str, name: str, first_case_number: str,
                now: datetime) -> None:
    """Open project ``code`` unless it exists (a later case keeps the first one's name)."""
    connection.execute(_ADD_PROJECT[connection.dialect.name], {
        "code": code, "tenant": tenant, "name": name, "first_case_number": first_case_number, "created_at": now})


def view(connection: Connection, case: CaseFile) -> domain.CaseFile:
    """What the rules need to know of a case file, with whether a certificate was issued."""
    issued = connection.execute(_ISSUED, {"number": case.case_number}).first()
    return domain.CaseFile(case_number=case.case_number, fees_known=case.fees_known,
                           approved=case.approved_at is not None, withdrawn=case.withdrawn_at is not None,
                           issued=issued is not None)


def fees(connection: Connection, case_number: str) -> list[domain.FeeDue]:
    """The fees listed for a case, in the order intake gave them."""
    return [domain.FeeDue(code=r.code, name=r.name, amount_fen=r.amount_fen, basis=r.basis)
            for r in connection.execute(_FEES, {"number": case_number})]


def payments(connection: Connection, case_number: str) -> list[domain.Payment]:
    """The payments recorded on a case, refunded or not, in the order they were made."""
    return [domain.Payment(r.fee_code, r.amount_fen, refunded=r.refunded_at is not None)
            for r in connection.execute(_PAYMENTS, {"number": case_number})]


def add_certificate(connection: Connection, certificate: domain.Certificate, *, project_code: str | None,
                    parcel_code: str | None) -> None:
    """Record an issued certificate or permit (current)."""
    connection.execute(_ADD_CERTIFICATE, {**certificate.__dict__, "project_code": project_code,
                                          "parcel_code": parcel_code, "status": "current"})
