"""One AMQP channel kept open for a process's own publishing: opened when first needed, reopened once when broken.

The outbox's confirmed publisher (``sunlight.confirms``) and the RPC replies (``sunlight.replies``) each write
on a connection of their own, kept open between uses instead of opened per message. Both open it failing fast
(the caller decides when to try again), drop it whole when the broker breaks it, and, when a link that sat
idle turns out broken (the broker restarted meanwhile), open a new one and try once more. A new link that fails
is not tried again.

``corked`` gathers what a run of publishes writes into one socket write: a batch of messages is one system
call, not one per message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from amqp.exceptions import AMQPError
from kombu import Connection
from kombu.exceptions import KombuError

log = logging.getLogger(__name__)

#: what a broken link, a refused connection, a closed channel or a confirm that never came raise
BROKER_TROUBLE: tuple[type[BaseException], ...] = (AMQPError, KombuError, OSError)
Result = TypeVar("Result")


class KeptChannel:
    """A connection and one channel on it, kept open; ``prepare`` readies each new channel (confirm mode...)."""

    def __init__(self, amqp_uri: str, purpose: str, *, prepare: Callable[[Any], None] | None = None,
                 connect_timeout: float = 5.0) -> None:
        self.amqp_uri = amqp_uri
        self.purpose = purpose  # for the log: "outbox", "rpc replies"
        self.prepare = prepare
        self.connect_timeout = connect_timeout
        self.connection: Connection | None = None
        self.channel: Any = None

    def using(self, attempt: Callable[[Any], Result], *, retry_if: Callable[[], bool] = lambda: True) -> Result:
        """``attempt(channel)``; if a reused link proves broken, once more on a new one (when ``retry_if()``).

        Raises what the broker raised (one of ``BROKER_TROUBLE``) when it fails for good; the link is dropped.
        """
        reused = self.channel is not None
        try:
            return attempt(self.open())
        except BROKER_TROUBLE as exc:
            self.close()
            if not reused or not retry_if():
                raise
            log.info("%s: kept-open broker connection was broken (%s); reconnecting once", self.purpose, exc)
        try:
            return attempt(self.open())
        except BROKER_TROUBLE:
            self.close()
            raise

    def open(self) -> Any:
        """The channel, opening the link first if there is none (failing fast: no retries here)."""
        if self.channel is None:
            connection = Connection(self.amqp_uri, connect_timeout=self.connect_timeout)
            try:
                connection.ensure_connection(max_retries=0)
                channel = connection.channel()
                if self.prepare is not None:
                    self.prepare(channel)
            except BROKER_TROUBLE:
                connection.release()
                raise
            self.connection, self.channel = connection, channel
        return self.channel

    def close(self) -> None:
        """Drop the link (the next use opens a new one)."""
        connection, self.connection, self.channel = self.connection, None, None
        if connection is not None:
            try:
                connection.close()
            except BROKER_TROUBLE as exc:  # it is being dropped because it broke
                log.debug("%s: closing a broken broker connection: %s", self.purpose, exc)


@contextmanager
def corked(connection: Connection) -> Iterator[None]:
    """Hold back what is written on ``connection`` inside the block, and send it as one write at its end.

    py-amqp writes each message's frames with one ``sendall`` (``transport._write``), from a buffer it reuses:
    the frames are copied as they come. If the block raises, nothing of it is sent.
    """
    transport = connection.connection.transport  # py-amqp's, under kombu's
    send = transport._write
    held: list[bytes] = []
    transport._write = lambda data: held.append(bytes(data))
    try:
        yield
    finally:
        transport._write = send
    if held:
        transport.write(b"".join(held))  # the transport's write: a failure marks the link broken
