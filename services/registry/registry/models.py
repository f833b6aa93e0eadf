"""Registry's own database: certificates and permits, numbered without gaps."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sunlight.db import UTCDateTime, infrastructure_tables
from sunlight.sequences import sequence_table

metadata = MetaData()


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


outbox, processed_events = infrastructure_tables(metadata)
sequences = sequence_table(metadata)
