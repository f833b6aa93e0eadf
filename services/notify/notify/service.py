"""Notify's entrypoints: turn events into SMS, stored first, sent after commit, never twice."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml
from nameko import config
from nameko.rpc import rpc
from nameko.timer import timer
from sqlalchemy import select

from notify import domain
from notify.models import Message, metadata
from notify.providers import provider_from
from notify.settings import MIGRATIONS, TEMPLATES
from sunlight import base, metrics
from sunlight.contracts import CERTIFICATE_ISSUED, SMS_SENT, Event, mask_mobile, new_event
from sunlight.db import Database
from sunlight.messaging import event_handler
from sunlight.tenants import tenant

log = logging.getLogger(__name__)
TEMPLATE_SET = domain.parse_templates(yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))["templates"])
RESEND_AFTER = timedelta(seconds=10)


class NotifyService(base.ServiceBase):
    """SMS to applicants and staff."""

    name = "notify"
    db = Database(metadata, MIGRATIONS)

    @event_handler("registry", CERTIFICATE_ISSUED)  # type: ignore[untyped-decorator]
    def on_certificate_issued(self, body: dict[str, Any]) -> None:
        """办结短信: tell the holder the certificate is ready and where to collect it."""
        event = Event.from_message(body)
        holder = event.payload["holder"]
        office = tenant(event.payload["tenant"])
        rendered = domain.render(
            TEMPLATE_SET["certificate_issued"],
            {"holder_name": holder["name"], "item_name": event.payload["item_name"],
             "certificate_number": event.payload["certificate_number"], "window": office.window},
            signature=office.sms_signature,
            recipient=holder["mobile"],
        )
        message_id = self._store(event, rendered)
        if message_id is not None:
            self._send(message_id)

    @rpc  # type: ignore[untyped-decorator]
    def messages_for_case(self, case_number: str) -> list[dict[str, Any]]:
        """Every message about a case, phone numbers masked."""
        with self.db.read() as session:
            rows = session.scalars(select(Message).where(Message.case_number == case_number)).all()
            return [{"id": r.id, "template": r.template, "recipient": mask_mobile(r.recipient),
                     "text": r.text, "status": r.status} for r in rows]

    @timer(interval=5)  # type: ignore[untyped-decorator]
    def resend_pending(self) -> None:
        """Send what a crash between store and send left pending (one replica at a time)."""
        with self.singleton("resend-pending", ttl_seconds=60) as mine:
            if not mine:
                return
            cutoff = datetime.now(UTC) - RESEND_AFTER
            with self.db.read() as session:
                ids = session.scalars(
                    select(Message.id).where(Message.status == "pending", Message.created_at <= cutoff)
                ).all()
            for message_id in ids:
                self._send(message_id)

    def _store(self, event: Event, rendered: domain.Rendered) -> int | None:
        with self.db.unit_of_work() as uow:
            if not uow.first_delivery(event.event_id, f"notify.{rendered.template}"):
                metrics.EVENTS_DUPLICATE.labels("notify", rendered.template).inc()
                return None
            message = Message(
                event_id=event.event_id, case_number=event.case_number, recipient=rendered.recipient,
                template=rendered.template, text=rendered.text, status="pending", attempts=0,
                created_at=datetime.now(UTC),
            )
            uow.session.add(message)
            uow.session.flush()
            return int(message.id)

    def _send(self, message_id: int) -> None:
        provider = provider_from(str(config.get("SMS_PROVIDER", "log")))
        with self.db.read() as session:
            message = session.get(Message, message_id)
            if message is None or message.status != "pending":
                return
            recipient, text, template = message.recipient, message.text, message.template
            case_number = message.case_number
        provider_id = provider.send(recipient, text)
        now = datetime.now(UTC)
        with self.db.unit_of_work() as uow:
            row = uow.session.get(Message, message_id)
            assert row is not None
            if row.status != "pending":
                return
            row.status, row.provider, row.provider_id = "sent", provider.name, provider_id
            row.sent_at, row.attempts = now, row.attempts + 1
            uow.emit(new_event(
                SMS_SENT, case_number,
                {"message_id": message_id, "template": template, "recipient": mask_mobile(recipient),
                 "provider": provider.name},
                now,
            ))
        metrics.SMS_SENT.labels(provider.name, template, "sent").inc()
