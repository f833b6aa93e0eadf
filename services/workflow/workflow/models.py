"""Workflow's own database: cases (with their versioned state) and the task inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, MetaData, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sunlight.db import UTCDateTime, infrastructure_tables

metadata = MetaData()
OPEN = text("status = 'open'")  # a case or a task still open: what the partial indexes keep


class Base(DeclarativeBase):
    metadata = metadata


class CaseRow(Base):
    __tablename__ = "cases"
    # the per-tenant open-case gauge counts this index, not the rows with their saved state (workflow_0005)
    __table_args__ = (Index("ix_cases_open_tenant", "status", "tenant", sqlite_where=OPEN, postgresql_where=OPEN),)

    case_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    tenant: Mapped[str] = mapped_column(String(32), index=True)
    item_code: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    definition_key: Mapped[str] = mapped_column(String(64))
    definition_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class TaskRow(Base):
    """The inbox: one row per task, kept in step with the case state."""

    __tablename__ = "tasks"
    # only open tasks are ever listed or scanned by deadline (migration workflow_0004)
    __table_args__ = (
        Index("ix_tasks_open_inbox", "post", "due_at", "task_id", sqlite_where=OPEN, postgresql_where=OPEN),
        Index("ix_tasks_open_stage_due", "stage", "due_at", sqlite_where=OPEN, postgresql_where=OPEN),
    )

    task_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    case_number: Mapped[str] = mapped_column(String(32), index=True)
    stage: Mapped[str] = mapped_column(String(64))
    post: Mapped[str] = mapped_column(String(128), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    urged_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # 督办 deadline


outbox, processed_events = infrastructure_tables(metadata)


class AbsenceRow(Base):
    """An A post whose holder is away: its tasks go to the B backup (AB岗) until they are back."""

    __tablename__ = "absences"

    post: Mapped[str] = mapped_column(String(128), primary_key=True)
    actor: Mapped[str] = mapped_column(String(64))
    since: Mapped[datetime] = mapped_column(UTCDateTime)
