"""Intake's own database: applications and their numbering."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sunlight.db import UTCDateTime, infrastructure_tables
from sunlight.sequences import sequence_table

metadata = MetaData()


class Base(DeclarativeBase):
    metadata = metadata


class Application(Base):
    """One accepted application (受理); its number is also the case number."""

    __tablename__ = "applications"

    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(32), index=True)
    item_code: Mapped[str] = mapped_column(String(64), index=True)
    applicant_name: Mapped[str] = mapped_column(String(100))
    applicant_kind: Mapped[str] = mapped_column(String(16))
    id_number: Mapped[str] = mapped_column(String(32))
    mobile: Mapped[str] = mapped_column(String(20))
    materials: Mapped[dict[str, Any]] = mapped_column(JSON)
    form: Mapped[dict[str, Any]] = mapped_column(JSON)
    channel: Mapped[str] = mapped_column(String(16))
    query_code: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    promised_date: Mapped[date] = mapped_column(Date)
    idempotency_key: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)
    # issue 4: who took it at the counter, what makes a repeat, and the fees the receipt listed
    clerk_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    fingerprint: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    fees_due: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)


class Refusal(Base):
    """A refusal at the window (不予受理) with its filed reason (否定报备); numbered like applications."""

    __tablename__ = "refusals"

    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(32), index=True)
    item_code: Mapped[str] = mapped_column(String(64), index=True)
    applicant_name: Mapped[str] = mapped_column(String(100))
    applicant_kind: Mapped[str] = mapped_column(String(16))
    id_number: Mapped[str] = mapped_column(String(32))
    mobile: Mapped[str] = mapped_column(String(20))
    reason_code: Mapped[str] = mapped_column(String(64))
    reason_text: Mapped[str] = mapped_column(Text)
    clerk_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    refused_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Correction(Base):
    """Materials re-submitted (补正) against an application, one row per re-submission."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    application_number: Mapped[str] = mapped_column(ForeignKey("applications.number"), index=True)
    materials: Mapped[dict[str, Any]] = mapped_column(JSON)
    clerk_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    corrected_at: Mapped[datetime] = mapped_column(UTCDateTime)


outbox, processed_events = infrastructure_tables(metadata)
sequences = sequence_table(metadata)
