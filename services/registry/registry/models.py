"""Registry's own database: case files, fees and payments, projects, parcels, certificates, mortgages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Integer, MetaData, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sunlight.db import UTCDateTime, infrastructure_tables
from sunlight.sequences import sequence_table

metadata = MetaData()

ID = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    metadata = metadata


class CertificateRow(Base):
    """One certificate or permit; ``case_number`` is unique: exactly one per case."""

    __tablename__ = "certificates"

    number: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    tenant: Mapped[str] = mapped_column(String(32), index=True)
    item_name: Mapped[str] = mapped_column(String(200))
    holder_name: Mapped[str] = mapped_column(String(100))
    holder_mobile: Mapped[str] = mapped_column(String(20))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    verification_code: Mapped[str] = mapped_column(String(16))
    project_code: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    parcel_code: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="current", server_default="current")


class CaseFileRow(Base):
    """Registry's view of one case: who, what, which project, and whether approval and fees have met."""

    __tablename__ = "case_files"

    case_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(32), index=True)
    item_code: Mapped[str] = mapped_column(String(64))
    item_name: Mapped[str] = mapped_column(String(200))
    certificate_kind: Mapped[str] = mapped_column(String(16))
    holder_name: Mapped[str] = mapped_column(String(100))
    holder_mobile: Mapped[str] = mapped_column(String(20))
    project_code: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    parcel: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    permit_series: Mapped[str | None] = mapped_column(String(16), nullable=True)
    fees_known: Mapped[bool] = mapped_column(Boolean, default=False)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class FeeDueRow(Base):
    """A fee the catalogue lists for a case, as intake announced it at acceptance."""

    __tablename__ = "fees_due"
    __table_args__ = (UniqueConstraint("case_number", "code", name="uq_fee_due_case_code"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    case_number: Mapped[str] = mapped_column(ForeignKey("case_files.case_number"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    basis: Mapped[str] = mapped_column(String(500), default="")


class PaymentRow(Base):
    """A fee recorded as paid at the window; refunded when the application is withdrawn."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    case_number: Mapped[str] = mapped_column(ForeignKey("case_files.case_number"), index=True)
    fee_code: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    clerk: Mapped[str] = mapped_column(String(64))
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    refund_reason: Mapped[str] = mapped_column(String(500), default="")


class ProjectRow(Base):
    """A project under one code (统一赋码) from its first application to its last certificate."""

    __tablename__ = "projects"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    first_case_number: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ParcelRow(Base):
    """A parcel (宗地) and its current right; every change is kept in ``parcel_rights``."""

    __tablename__ = "parcels"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(32), index=True)
    location: Mapped[str] = mapped_column(String(500))
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    area_m2: Mapped[float] = mapped_column(Float)
    land_use: Mapped[str] = mapped_column(String(64))
    right_type: Mapped[str] = mapped_column(String(16))
    term_years: Mapped[int | None] = mapped_column(Integer, nullable=True)
    owner_name: Mapped[str] = mapped_column(String(100))
    project_code: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    title_number: Mapped[str | None] = mapped_column(String(64), nullable=True)


class ParcelRightRow(Base):
    """One change of right on a parcel: first registration, transfer, mortgage, release."""

    __tablename__ = "parcel_rights"

    id: Mapped[int] = mapped_column(ID, primary_key=True)
    parcel_code: Mapped[str] = mapped_column(ForeignKey("parcels.code"), index=True)
    change: Mapped[str] = mapped_column(String(32))
    right_type: Mapped[str] = mapped_column(String(16))
    owner_name: Mapped[str] = mapped_column(String(100))
    document_number: Mapped[str] = mapped_column(String(64))
    case_number: Mapped[str | None] = mapped_column(String(32), nullable=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MortgageRow(Base):
    """A mortgage registered on a title (抵押登记), with its own certificate of mortgage."""

    __tablename__ = "mortgages"

    number: Mapped[str] = mapped_column(String(64), primary_key=True)
    title_number: Mapped[str] = mapped_column(ForeignKey("certificates.number"), index=True)
    tenant: Mapped[str] = mapped_column(String(32))
    rank: Mapped[int] = mapped_column(Integer)
    mortgagee: Mapped[str] = mapped_column(String(200))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    verification_code: Mapped[str] = mapped_column(String(16))


outbox, processed_events = infrastructure_tables(metadata)
sequences = sequence_table(metadata)
