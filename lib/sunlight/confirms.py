"""Publish a batch of messages on one AMQP channel in confirm mode, and wait once for all the confirms.

nameko's ``Publisher`` waits for the broker's confirm after every message, and goes through kombu's
producer pool, retry wrapper and serializer each time: one round trip and about a millisecond of CPU
per event. Here the messages of a batch are written back to back and their confirms (RabbitMQ acks
several at once) awaited together, so a batch costs one round trip. A confirm still means what it
meant: the broker has taken responsibility for the message (for a persistent message routed to a
durable queue, it is on disk).

Publisher confirms rather than AMQP transactions (``tx.select``/``tx.commit``, also one round trip
per batch): a confirm says which messages the broker took, so a batch cut short keeps what was
confirmed and only the rest waits for another pass; a transaction is all or nothing, and RabbitMQ
documents confirms as the lightweight way to the same guarantee.

Not thread-safe: one batch at a time per publisher (``OutboxRelay`` holds a lock around it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from amqp import Message
from kombu import Exchange

from sunlight.channels import BROKER_TROUBLE, KeptChannel, corked

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """One message: its routing key and its JSON body, already serialized (as the outbox stores it)."""

    routing_key: str
    body: str


class NotConfirmed(Exception):
    """The broker did not confirm every message of a batch; ``confirmed`` holds the indexes it did."""

    def __init__(self, confirmed: frozenset[int], reason: str) -> None:
        super().__init__(reason)
        self.confirmed = confirmed


class ConfirmedPublisher:
    """Persistent messages to one exchange over a kept-open connection, confirmed batch by batch."""

    def __init__(
        self, amqp_uri: str, exchange: Exchange, *, connect_timeout: float = 5.0, confirm_timeout: float = 10.0
    ) -> None:
        self.exchange = exchange
        self.confirm_timeout = confirm_timeout
        self._link = KeptChannel(amqp_uri, "outbox", prepare=self._prepare, connect_timeout=connect_timeout)
        self._last_tag = 0  # delivery tags count the messages published on the channel, from 1
        self._in_flight: dict[int, int] = {}  # delivery tag -> index in the batch
        self._confirmed: set[int] = set()
        self._refused: set[int] = set()

    def publish(self, batch: Sequence[Outgoing]) -> None:
        """Send ``batch`` in order; return once the broker confirmed all of it, else raise ``NotConfirmed``.

        A kept-open connection found broken (the broker restarted while it was idle) is replaced and the
        unconfirmed rest sent once more on the new one; a new connection that fails is not retried, nor is
        a batch the broker refused part of.
        """
        self._confirmed, self._refused = set(), set()
        try:
            self._link.using(lambda channel: self._send(channel, batch), retry_if=lambda: not self._refused)
        except BROKER_TROUBLE as exc:
            raise NotConfirmed(frozenset(self._confirmed), f"{type(exc).__name__}: {exc}") from exc
        if self._refused:
            raise NotConfirmed(frozenset(self._confirmed), f"broker refused {len(self._refused)} message(s)")

    def close(self) -> None:
        """Drop the connection (the next batch opens a new one)."""
        self._link.close()

    def _send(self, channel: Any, batch: Sequence[Outgoing]) -> None:
        """Write the messages not yet confirmed back to back, in one socket write; wait for their confirms."""
        connection = self._link.connection
        assert connection is not None
        exchange = self.exchange.name
        try:
            with corked(connection):
                for index, outgoing in enumerate(batch):
                    if index in self._confirmed:  # a second try sends only the rest
                        continue
                    message = Message(
                        outgoing.body.encode(),
                        content_type="application/json",
                        content_encoding="utf-8",
                        delivery_mode=2,  # persistent: survives a broker restart
                        priority=0,
                    )
                    self._last_tag += 1
                    self._in_flight[self._last_tag] = index
                    channel.basic_publish(message, exchange=exchange, routing_key=outgoing.routing_key)
            while self._in_flight:
                connection.drain_events(timeout=self.confirm_timeout)
        except BROKER_TROUBLE:
            raise  # the link is dropped by its user
        except Exception:
            self._link.close()  # the channel's delivery tags no longer match what was sent: start afresh
            raise

    def _prepare(self, channel: Any) -> None:
        """A new channel: confirm mode, our ack and nack handlers, the exchange declared; tags count from 1."""
        channel.confirm_select()
        channel.events["basic_ack"].add(self._on_ack)
        channel.events["basic_nack"].add(self._on_nack)
        self.exchange(channel).declare()
        self._last_tag, self._in_flight = 0, {}

    def _settled(self, delivery_tag: int, multiple: bool) -> list[int]:
        """The batch indexes an ack or nack covers (``multiple``: every tag up to this one)."""
        tags = [tag for tag in self._in_flight if tag <= delivery_tag] if multiple else [delivery_tag]
        return [self._in_flight.pop(tag) for tag in tags if tag in self._in_flight]

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self._confirmed.update(self._settled(delivery_tag, multiple))

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        refused = self._settled(delivery_tag, multiple)
        log.warning("outbox: broker refused %d message(s) (nack); they stay in the outbox", len(refused))
        self._refused.update(refused)
