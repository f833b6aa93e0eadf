"""Event handlers that never lose a message: bounded retries, then a dead-letter queue.

nameko acks a message whose handler raised, and it is gone. Here a failed delivery is republished
to a per-service retry queue (``retry.<service>``) that holds it for a growing delay and then routes
it back to the handler's queue; after ``EVENT_MAX_ATTEMPTS`` attempts, or at once for a permanent
failure (a malformed event), it goes to ``dlq.<service>`` with the reason in its headers, where
``python -m sunlight.deadletters`` lists and replays it. The original is acked only after the
retry or dead letter has been confirmed by the broker.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from kombu import Exchange, Queue, binding
from kombu.exceptions import OperationalError as KombuOperationalError
from nameko import config
from nameko.amqp.publish import Publisher
from nameko.events import EventHandler
from nameko.standalone.events import get_event_exchange
from sqlalchemy.exc import DBAPIError

from sunlight import acks, metrics
from sunlight.errors import PermanentFailure, ValidationFailed

log = logging.getLogger(__name__)

RETRY_EXCHANGE = Exchange("sunlight.retry", type="direct", durable=True)
ATTEMPTS_HEADER = "x-sunlight-attempts"
QUEUE_HEADER = "x-sunlight-queue"
REASON_HEADER = "x-sunlight-reason"
FAILED_AT_HEADER = "x-sunlight-failed-at"
PERMANENT = (PermanentFailure, ValidationFailed)


class _RetryBinding(Queue):  # type: ignore[misc]
    """``retry.<service>`` as one handler's queue binds to it.

    kombu remembers what a connection has declared by the queue's name alone, so on a pooled connection
    where one handler had declared ``retry.<service>`` with its binding, the next handler's binding was
    never declared: its retries were unroutable and the broker dropped them without a word (the
    certificate lost under a database cut, bench/RELIABILITY.md). Each binding is its own entity here.
    """

    def __hash__(self) -> int:
        return hash((f"Q|{self.name}", tuple(b.routing_key for b in self.bindings)))


def retry_binding(service: str, handler_queue: str) -> Queue:
    """The retry queue with the one binding that routes ``handler_queue``'s retries into it."""
    return _RetryBinding(
        f"retry.{service}",
        bindings=[binding(RETRY_EXCHANGE, routing_key=handler_queue)],
        durable=True,
        queue_arguments={"x-dead-letter-exchange": ""},
    )


def dead_letter_queue(service: str) -> Queue:
    """Where deliveries end that cannot succeed: visible and replayable."""
    return Queue(f"dlq.{service}", durable=True)


#: what a PostgreSQL server that cannot be reached, or cannot take one more connection now, says
#: (SQLAlchemy flags the rest as disconnects): a fault of the moment, retried like a cut line
UNREACHABLE = ("could not connect", "connection refused", "connection timed out",
               "too many clients already", "remaining connection slots are reserved",
               "the database system is starting up", "the database system is shutting down")


def database_outage(exc: BaseException) -> bool:
    """True when ``exc`` says the database link is down (a fault of the moment, not of the message)."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    return any(words in str(exc).lower() for words in UNREACHABLE)


def settle(action: Any, message: Any) -> None:
    """Ack or requeue; if the broker link broke meanwhile, the broker redelivers the message anyway.

    nameko only guards against its own ConnectionError: a BrokenPipeError from a cut link escaped
    from the worker and killed the whole service (tests/faults/test_broker_cut.py). Handlers are
    idempotent (processed_events), so the redelivery is harmless.
    """
    try:
        action(message)
    except (KombuOperationalError, OSError) as exc:  # BrokenPipeError, ConnectionResetError
        log.warning("could not settle a message, the broker will redeliver it: %s", exc)


class ReliableEventHandler(EventHandler):  # type: ignore[misc]
    """``@event_handler`` with bounded retries and a dead-letter queue."""

    def setup(self) -> None:
        super().setup()
        service = self.container.service_name
        self.max_attempts = int(config.get("EVENT_MAX_ATTEMPTS", 5))
        self.base_delay_ms = int(config.get("EVENT_RETRY_DELAY_MS", 500))
        # the retry queue routes by the handler queue's own name
        self.retry_binding = retry_binding(service, self.queue.name)
        self.dlq = dead_letter_queue(service)
        # mandatory: a retry or dead letter no queue takes raises (and the original is requeued)
        # instead of being dropped by the broker as an unroutable message
        self.failure_publisher = Publisher(
            config["AMQP_URI"], use_confirms=True, mandatory=True,
            declare=[RETRY_EXCHANGE, self.retry_binding, self.dlq],
        )

    def handle_message(self, body: Any, message: Any) -> None:
        acks.received(message)  # its ack may go out with others' (sunlight.acks), never before it finished
        super().handle_message(body, message)

    def handle_message_processed(
        self, message: Any, result: Any = None, exc_info: Any = None
    ) -> None:
        if exc_info is None:
            acks.ack(message)
            return
        try:
            self._route_failure(message, exc_info[1])
        except Exception:  # broker trouble: leave the message with the broker
            log.exception("could not park failed message; requeueing it")
            acks.forget(message)
            settle(self.consumer.requeue_message, message)
            return
        acks.ack(message)

    def _route_failure(self, message: Any, exc: BaseException) -> None:
        service = self.container.service_name
        headers = dict(message.headers or {})
        attempts = int(headers.get(ATTEMPTS_HEADER, 0)) + 1
        if database_outage(exc):
            # the database is unreachable, not the message at fault: keep retrying (at the longest
            # delay short of the last attempt) instead of dead-lettering every event of the outage
            attempts = min(attempts, max(self.max_attempts - 1, 1))
        headers[ATTEMPTS_HEADER] = attempts
        headers[QUEUE_HEADER] = self.queue.name
        headers[REASON_HEADER] = f"{type(exc).__name__}: {exc}"[:1000]
        if isinstance(exc, PERMANENT) or attempts >= self.max_attempts:
            headers[FAILED_AT_HEADER] = datetime.now(UTC).isoformat()
            self.failure_publisher.publish(
                message.payload, exchange="", routing_key=self.dlq.name, headers=headers
            )
            metrics.EVENTS_DEAD_LETTERED.labels(service, self.queue.name).inc()
            log.error(
                "dead-lettered %s after %d attempt(s): %s", self.queue.name, attempts, exc
            )
            return
        delay_ms = min(self.base_delay_ms * 2 ** (attempts - 1), 60_000)
        self.failure_publisher.publish(
            message.payload,
            exchange=RETRY_EXCHANGE,
            routing_key=self.queue.name,
            headers=headers,
            expiration=delay_ms / 1000,
        )
        metrics.EVENTS_RETRIED.labels(service, self.queue.name).inc()
        log.warning("retrying %s in %d ms (attempt %d): %s", self.queue.name, delay_ms, attempts, exc)


class EveryEventHandler(ReliableEventHandler):
    """One durable queue bound to every event of several services (what supervision audits)."""

    def __init__(self, sources: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(source_service=sources[0], event_type="#", **kwargs)
        self.sources = sources

    def setup(self) -> None:
        super().setup()
        name = f"evt-all--{self.container.service_name}.{self.method_name}"
        self.queue = Queue(
            name,
            bindings=[binding(get_event_exchange(source), routing_key="#") for source in self.sources],
            durable=True,
        )
        self.retry_binding = retry_binding(self.container.service_name, name)
        self.failure_publisher.declare = [RETRY_EXCHANGE, self.retry_binding, self.dlq]
        self.consumer.queues = [self.queue]


event_handler = ReliableEventHandler.decorator
every_event_handler = EveryEventHandler.decorator
