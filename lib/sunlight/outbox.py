"""Publish what units of work wrote to the outbox, right after commit and again from a timer.

Publishing is at-least-once: a crash between publish and mark re-publishes on the next relay
pass, and every consumer drops an ``event_id`` it has already processed.

A batch of events costs one broker round trip (``sunlight.confirms``: written back to back, confirmed
together); just-committed rows come from the unit of work itself (their ids returned by the insert), so
publishing them reads nothing back. Concurrent workers of one process do not each pay it: whoever finds
the relay idle publishes, in outbox id order, everything the others committed meanwhile, and they find
their events already out when their turn comes (the waiting is the batching).

Marking them published costs no transaction of its own: the ids the broker confirmed ride along in the
next unit of work of the process (``take_marks``), or the relay timer marks them within
``OUTBOX_RELAY_INTERVAL`` when none comes. Until then a confirmed event is merely not yet marked: a crash
there re-publishes it, as a crash between publish and mark always did.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from nameko.standalone.events import get_event_exchange
from sqlalchemy import Connection, Engine, Table, bindparam, func, select, update

from sunlight import crashpoints, metrics
from sunlight.confirms import ConfirmedPublisher, NotConfirmed, Outgoing

log = logging.getLogger(__name__)

#: events per broker round trip and per UPDATE
BATCH_LIMIT = 500


@dataclass(frozen=True)
class Pending:
    """An outbox row as the unit of work inserted it: what publishing and marking it need."""

    id: int
    event_id: str
    event_type: str
    body: str


@dataclass
class _Request:
    """One caller's just-committed events, and how many of them went out."""

    rows: list[Pending]
    published: int = 0
    done: bool = False


class OutboxRelay:
    """Moves events from a service's outbox table to its ``<service>.events`` exchange."""

    def __init__(self, engine: Engine, outbox: Table, service: str, amqp_uri: str) -> None:
        self.engine = engine
        self.outbox = outbox
        self.service = service
        self.exchange = get_event_exchange(service)
        # events must not be lost: persistent messages, marked only once the broker confirmed them
        self.publisher = ConfirmedPublisher(amqp_uri, self.exchange)
        columns = (outbox.c.id, outbox.c.event_id, outbox.c.event_type, outbox.c.body)
        unpublished = select(*columns).where(outbox.c.published_at.is_(None)).order_by(outbox.c.id)
        # built once: composing them on every commit was about a third of the relay's own CPU
        self._created_before = unpublished.where(outbox.c.created_at <= bindparam("cutoff"))
        self._mark = (
            update(outbox).where(outbox.c.id.in_(bindparam("ids", expanding=True))).values(
                published_at=bindparam("now")
            )
        )
        self._lock = threading.Lock()  # green under eventlet: one batch on the channel at a time
        self._waiting: list[_Request] = []
        self._unmarked: list[int] = []  # outbox ids the broker confirmed, to mark published

    def publish_now(self, rows: Sequence[Pending]) -> int:
        """Publish just-committed rows (a unit of work's ``written``); on a broker failure leave them for the timer."""
        request = _Request(list(rows))
        self._waiting.append(request)
        with self._lock:
            if not request.done:  # nobody took it along while this caller waited for the lock
                self._publish_waiting()
        return request.published

    def publish_pending(self, older_than: timedelta = timedelta(seconds=5), limit: int = BATCH_LIMIT) -> int:
        """Publish what a crash or a broker outage left behind."""
        cutoff = datetime.now(UTC) - older_than
        published: set[str] = set()
        self.mark_confirmed()  # what is confirmed is not left behind: it must not go out again
        with self._lock:
            try:
                with self.engine.connect() as connection:
                    rows = connection.execute(self._created_before.limit(limit), {"cutoff": cutoff}).all()
                self._publish([Pending(row.id, row.event_id, row.event_type, row.body) for row in rows], published)
            except NotConfirmed as exc:  # the broker is away or refused some: the next pass retries
                log.warning("outbox: relay published %d event(s), the rest wait: %s", len(published), exc)
            finally:
                # a caller still waiting for the lock finds its rows out already: it must not send them twice
                for request in self._waiting:
                    request.rows = [row for row in request.rows if row.event_id not in published]
        metrics.OUTBOX_PENDING.labels(self.service).set(self.pending_count())
        return len(published)

    def take_marks(self) -> list[int]:
        """The confirmed ids not yet marked, for a unit of work to mark in its own transaction."""
        ids, self._unmarked = self._unmarked, []
        return ids

    def give_back_marks(self, ids: list[int]) -> None:
        """The transaction that took ``ids`` did not commit: they still wait to be marked."""
        self._unmarked.extend(ids)

    def mark(self, connection: Connection, ids: list[int]) -> None:
        """Mark ``ids`` published on ``connection`` (in the caller's transaction)."""
        for start in range(0, len(ids), BATCH_LIMIT):
            connection.execute(self._mark, {"ids": ids[start:start + BATCH_LIMIT], "now": datetime.now(UTC)})

    def mark_confirmed(self) -> None:
        """Mark, in a transaction of its own, what the broker confirmed and no unit of work took along."""
        ids = self.take_marks()
        if not ids:
            return
        try:
            with self.engine.begin() as connection:
                self.mark(connection, ids)
        except Exception:
            self.give_back_marks(ids)
            raise

    def pending_count(self) -> int:
        """Events in the outbox not yet confirmed by the broker."""
        self.mark_confirmed()
        with self.engine.connect() as connection:
            count = connection.execute(
                select(func.count()).select_from(self.outbox).where(
                    self.outbox.c.published_at.is_(None)
                )
            ).scalar_one()
        return int(count)

    def close(self) -> None:
        """Mark what is confirmed and close the broker connection (the service is stopping)."""
        with self._lock:
            self.publisher.close()
        try:
            self.mark_confirmed()
        except Exception:  # noqa: BLE001 - unmarked, they are published again after the restart: duplicates only
            log.warning("outbox: could not mark confirmed events at stop; they will be published again", exc_info=True)

    def _publish_waiting(self) -> None:
        """Publish every waiting caller's events as one batch (the lock is held)."""
        requests, self._waiting = self._waiting, []
        # in outbox id order: a case's later unit of work committed after its earlier one, with a higher id
        rows = sorted((row for request in requests for row in request.rows), key=lambda row: row.id)
        published: set[str] = set()
        try:
            for start in range(0, len(rows), BATCH_LIMIT):
                self._publish(rows[start:start + BATCH_LIMIT], published)
        except Exception:  # the broker is down or the connection broke: the timer retries
            log.warning("outbox: publish after commit failed; relay timer will retry", exc_info=True)
        finally:
            for request in requests:
                request.published = sum(row.event_id in published for row in request.rows)
                request.done = True

    def _publish(self, rows: Sequence[Pending], published: set[str]) -> None:
        """Publish ``rows`` in order; mark what the broker confirmed and add its event ids to ``published``,
        also when ``NotConfirmed`` says the rest must wait."""
        if not rows:
            return
        confirmed: Sequence[Pending] = []  # marked: only what the broker confirmed
        try:
            self.publisher.publish([Outgoing(row.event_type, row.body) for row in rows])
            crashpoints.reach("after-publish", (row.event_type for row in rows))  # a fault test: confirmed, not marked
            confirmed = rows
        except NotConfirmed as exc:
            confirmed = [rows[index] for index in sorted(exc.confirmed)]
            raise
        finally:
            self._unmarked.extend(row.id for row in confirmed)
            metrics.EVENTS_PUBLISHED.labels(self.service).inc(len(confirmed))
            published.update(row.event_id for row in confirmed)
