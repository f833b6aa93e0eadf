"""The public status read model: event handlers that keep it, and the one local read that answers from it.

A mixin the gateway service inherits (nameko collects entrypoints from base classes). Entry points and
storage only: how an event changes the status, and when the view may answer, is ``gateway.statusview``.
Each event is folded once (processed_events), with its row locked (PostgreSQL: FOR UPDATE; SQLite: the
insert took the write lock), so two events of one case handled at once never lose one another's change.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from gateway import statusview
from gateway.models import StatusRow
from sunlight import metrics
from sunlight.contracts import Event
from sunlight.db import Store
from sunlight.events import (
    APPLICATION_ACCEPTED,
    CASE_APPROVED,
    CASE_OPENED,
    CASE_REJECTED,
    CASE_RESUMED,
    CASE_RETURNED,
    CASE_SUSPENDED,
    CASE_WITHDRAWN,
    CERTIFICATE_ISSUED,
    TASK_CREATED,
)
from sunlight.messaging import event_handler
from sunlight.querycodes import code_matches, configured_key

log = logging.getLogger(__name__)
STATUS = StatusRow.__table__
FIELDS = ("item_name", "received_at", "promised_date", "code_digest", "status", "status_at", "stage",
          "stage_at", "certificate_number")


def view_of(row: StatusRow) -> statusview.StatusView:
    return statusview.StatusView(row.application_number, **{name: getattr(row, name) for name in FIELDS})


def fold_into(session: Session, event: Event) -> None:
    """Fold one event into its application's row, creating the row on the first event of the case."""
    number = event.case_number or ""
    empty = {"application_number": number, **{name: getattr(statusview.StatusView(number), name) for name in FIELDS}}
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(StatusRow).values(empty).on_conflict_do_nothing(index_elements=["application_number"]))
    row = session.scalars(select(StatusRow).where(StatusRow.application_number == number).with_for_update()).one()
    folded = statusview.fold(view_of(row), event.event_type, event.payload, event.occurred_at)
    for name in FIELDS:
        setattr(row, name, getattr(folded, name))


class StatusFeed:
    """Keeps ``public_status`` from intake's, workflow's and registry's events; answers from it."""

    db: Store  # provided by the service class that inherits this mixin

    def fold_status(self, body: dict[str, Any], handler: str) -> None:
        event = Event.from_message(body)
        if not event.case_number:
            return
        with self.db.unit_of_work() as uow:
            if not uow.first_delivery(event.event_id, f"gateway.{handler}"):
                metrics.EVENTS_DUPLICATE.labels("gateway", handler).inc()
                return
            fold_into(uow.session, event)

    def local_status(self, number: str, code: str) -> tuple[dict[str, Any] | None, bool]:
        """(the answer from the read model or None, whether the code failed the row's digest)."""
        key = configured_key()
        if not key:  # intake publishes no digests: nothing here could ever match
            return None, False
        try:
            with self.db.engine.connect() as connection:  # one SELECT, no ORM session: the public hot path
                row = connection.execute(select(*STATUS.c).where(STATUS.c.application_number == number)).first()
        except SQLAlchemyError as exc:  # the page still answers, by RPC, while the gateway's database is out
            log.warning("public status read model unavailable, asking intake and workflow: %s", exc)
            return None, False
        if row is None:
            return None, False
        view = statusview.StatusView(**row._mapping)
        found = statusview.answer(view, code, key)
        if found is not None:  # the code matched the digest on the way
            return found, False
        return None, bool(view.code_digest) and not code_matches(key, number, code, view.code_digest)

    @event_handler("intake", APPLICATION_ACCEPTED)  # type: ignore[untyped-decorator]
    def status_on_accepted(self, body: dict[str, Any]) -> None:
        self.fold_status(body, "status_on_accepted")

    @event_handler("workflow", CASE_OPENED)  # type: ignore[untyped-decorator]
    def status_on_opened(self, body: dict[str, Any]) -> None:
        self.fold_status(body, "status_on_opened")

    @event_handler("workflow", TASK_CREATED)  # type: ignore[untyped-decorator]
    def status_on_task_created(self, body: dict[str, Any]) -> None:
        self.fold_status(body, "status_on_task_created")

    @event_handler("workflow", CASE_RETURNED)  # type: ignore[untyped-decorator]
    def status_on_returned(self, body: dict[str, Any]) -> None:
        self.fold_status(body, "status_on_returned")

    @event_handler("workflow", CASE_SUSPENDED)  # type: ignore[untyped-decorator]
    def status_on_suspended(self, body: dict[str, Any]) -> None:
        self.fold_status(body, "status_on_suspended")

    @event_handler("workflow", CASE_RESUMED)  # type: ignore[untyped-decorator]
    def status_on_resumed(self, body: dict[str, Any]) -> None:
        self.fold_status(body, "status_on_resumed")

    @event_handler("workflow", CASE_APPROVED)  # type: ignore[untyped-decorator]
    def status_on_approved(self, body: dict[str, Any]) -> None:
        self.fold_status(body, "status_on_approved")

    @event_handler("workflow", CASE_REJECTED)  # type: ignore[untyped-decorator]
    def status_on_rejected(self, body: dict[str, Any]) -> None:
        self.fold_status(body, "status_on_rejected")

    @event_handler("workflow", CASE_WITHDRAWN)  # type: ignore[untyped-decorator]
    def status_on_withdrawn(self, body: dict[str, Any]) -> None:
        self.fold_status(body, "status_on_withdrawn")

    @event_handler("registry", CERTIFICATE_ISSUED)  # type: ignore[untyped-decorator]
    def status_on_certificate(self, body: dict[str, Any]) -> None:
        self.fold_status(body, "status_on_certificate")
