"""Notify's own database: every message, stored before it is sent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sunlight.db import UTCDateTime, infrastructure_tables

metadata = MetaData()


class Base(DeclarativeBase):
    metadata = metadata


class Message(Base):
    """One SMS; never twice for the same (event, recipient, template)."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient", "template", name="uq_message_once"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36))
    case_number: Mapped[str | None] = mapped_column(String(32), index=True, nullable=True)
    recipient: Mapped[str] = mapped_column(String(20))
    template: Mapped[str] = mapped_column(String(64))
    # what the SMSC is sent; once sent (or given up, or never to be sent) it is the shown text: the code is not kept
    text: Mapped[str] = mapped_column(Text)
    # the text with the recipient's credentials (the query code) masked: what staff see
    shown_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    # pending → sending → sent → delivered | failed; or opted_out (never sent, by the recipient's wish)
    status: Mapped[str] = mapped_column(String(16), index=True)
    provider: Mapped[str | None] = mapped_column(String(16), nullable=True)
    provider_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # issue 7: retries, held staff messages, receipts and latency
    event_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    parts: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


Index("ix_messages_due", Message.status, Message.not_before)
# the hourly rate limit counts one recipient's recent messages for every message sent: without it, a scan of all
Index("ix_messages_recipient_sent", Message.recipient, Message.sent_at)


class MessagePart(Base):
    """One segment the SMSC took, with its id: what a delivery receipt names."""

    __tablename__ = "message_parts"
    __table_args__ = (UniqueConstraint("message_id", "number", name="uq_message_part"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    provider_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))  # sent | delivered | failed
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    receipt: Mapped[str | None] = mapped_column(String(64), nullable=True)


class OptOut(Base):
    """A mobile whose owner asked for no non-essential messages."""

    __tablename__ = "opt_outs"

    mobile: Mapped[str] = mapped_column(String(20), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


outbox, processed_events = infrastructure_tables(metadata)
