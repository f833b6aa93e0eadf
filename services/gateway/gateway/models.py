"""Gateway's own database: the outbox every service keeps, who may sign in (tenants, posts, users), and the
public status read model."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sunlight.db import UTCDateTime, infrastructure_tables

metadata = MetaData()
infrastructure_tables(metadata)


class Base(DeclarativeBase):
    metadata = metadata


class TenantRow(Base):
    """The county bureau or a town office (乡镇所): staff see only their own tenant's cases."""

    __tablename__ = "tenants"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class PostRow(Base):
    """A post (岗位), named tenant/department/role as workflow names it."""

    __tablename__ = "posts"

    code: Mapped[str] = mapped_column(String(128), primary_key=True)
    tenant: Mapped[str] = mapped_column(ForeignKey("tenants.code"), index=True)
    department: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))


class UserRow(Base):
    """Someone who signs in; the password is only ever stored as an scrypt hash."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    tenant: Mapped[str | None] = mapped_column(ForeignKey("tenants.code"), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HoldingRow(Base):
    """A user holds a post as its A holder or its B (backup) holder (AB岗)."""

    __tablename__ = "post_holders"

    username: Mapped[str] = mapped_column(ForeignKey("users.username"), primary_key=True)
    post: Mapped[str] = mapped_column(ForeignKey("posts.code"), primary_key=True)
    holder: Mapped[str] = mapped_column(String(1))  # "A" or "B"


class StatusRow(Base):
    """The public status of one application, folded from events (gateway.statusview): one local read.

    ``code_digest`` is intake's HMAC of the query code (sunlight.querycodes), never the code itself."""

    __tablename__ = "public_status"

    application_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    item_name: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    promised_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    code_digest: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16), default="")
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    stage: Mapped[str] = mapped_column(String(64), default="")
    stage_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    certificate_number: Mapped[str] = mapped_column(String(64), default="")
