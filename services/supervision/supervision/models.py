"""Supervision's own database: the audit log and its chain head; clocks, lights, urgings and delay reasons."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, Index, Integer, MetaData, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sunlight.db import UTCDateTime, infrastructure_tables
from sunlight.sequences import sequence_table

metadata = MetaData()


class Base(DeclarativeBase):
    metadata = metadata


class AuditRecord(Base):
    """One event, appended in arrival order; never updated, never deleted."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    event_type: Mapped[str] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(32))
    case_number: Mapped[str | None] = mapped_column(String(32), index=True, nullable=True)
    occurred_at: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    body: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ChainHead(Base):
    """A single row locked by every append, so the chain never forks under concurrency."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))


class CaseClockRow(Base):
    """Where a case's (or complaint's) clock stands, replayed from its audit records on every event of it.

    The record Redis mirrors (``next_light_at``) and the per-case summary statistics are computed from;
    ``python -m supervision.summaries`` rebuilds it from the audit log.
    """

    __tablename__ = "case_clocks"

    case_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="case", server_default="case")  # or complaint
    tenant: Mapped[str] = mapped_column(String(32), default="", index=True)
    item_code: Mapped[str] = mapped_column(String(32), default="")
    state: Mapped[str] = mapped_column(String(16))  # pending (not yet accepted), running, stopped, closed
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    promised_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # after stops so far
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_light_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StageClockRow(Base):
    """One stage of a case (or a complaint's handling), as its clock stands: the per-stage summary."""

    __tablename__ = "stage_clocks"

    case_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    task_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    stage: Mapped[str] = mapped_column(String(64))
    post: Mapped[str] = mapped_column(String(128), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # after stops so far
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    working_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)  # office time run, once completed


class LightRow(Base):
    """A prompt, yellow or red light raised on a case or stage; raised once, never lowered."""

    __tablename__ = "lights"
    __table_args__ = (UniqueConstraint("case_number", "target", "level", name="uq_light_once"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    case_number: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str] = mapped_column(String(64))  # "case" or a task id
    stage: Mapped[str] = mapped_column(String(64), default="")
    post: Mapped[str] = mapped_column(String(128), default="", index=True)
    tenant: Mapped[str] = mapped_column(String(32), default="")
    level: Mapped[str] = mapped_column(String(8))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UrgingRow(Base):
    """An urging notice (督办) from the supervising post, with its own deadline."""

    __tablename__ = "urgings"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    case_number: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str] = mapped_column(String(64))
    urged_by: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    urged_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DelayReasonRow(Base):
    """Why a late case or stage is late (延期说明), entered by its post."""

    __tablename__ = "delay_reasons"
    __table_args__ = (UniqueConstraint("case_number", "target", name="uq_delay_reason_once"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    case_number: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str] = mapped_column(String(64))
    post: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RatingRow(Base):
    """每事一卡: one rating per completed case; a bad one carries its rectification deadline."""

    __tablename__ = "ratings"

    case_number: Mapped[str] = mapped_column(String(32), primary_key=True)  # once per case, by the key
    tenant: Mapped[str] = mapped_column(String(32), index=True)
    item_code: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rectification_due: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    rectified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


#: one open (not withdrawn) violation per case, kind and target; a withdrawn one raised again is a new row
OPEN_VIOLATION = text("withdrawn_at IS NULL")


class ViolationRow(Base):
    """A violation found in a case's audit records, with its evidence; withdrawn (never deleted) if disproved."""

    __tablename__ = "violations"
    __table_args__ = (Index("uq_violation_open", "case_number", "kind", "target", unique=True,
                            sqlite_where=OPEN_VIOLATION, postgresql_where=OPEN_VIOLATION),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    case_number: Mapped[str] = mapped_column(String(32), index=True)
    tenant: Mapped[str] = mapped_column(String(32), index=True, default="")
    kind: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(64))
    evidence: Mapped[str] = mapped_column(Text)  # JSON list of audit log seq numbers
    detail: Mapped[str] = mapped_column(Text, default="")
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawal_evidence: Mapped[str] = mapped_column(Text, default="[]")  # JSON seqs of the records that disproved it
    withdrawal_detail: Mapped[str] = mapped_column(Text, default="")


class ComplaintRow(Base):
    """信访: a complaint, numbered, with its handler post and deadline; resolved once."""

    __tablename__ = "complaints"

    number: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(32), index=True)
    complainant_name: Mapped[str] = mapped_column(String(100))
    complainant_mobile: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    case_number: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    handler_post: Mapped[str] = mapped_column(String(128))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    answer: Mapped[str] = mapped_column(Text, default="")
    #: six digits handed to the complainant once, to follow the complaint publicly (like a receipt's)
    query_code: Mapped[str] = mapped_column(String(8), default="", server_default="")


sequences = sequence_table(metadata)


outbox, processed_events = infrastructure_tables(metadata)
