"""Acks of one channel sent together: one ``basic.ack`` with ``multiple`` for a run of finished deliveries.

nameko acks each message the moment its worker finishes: one socket write per delivery, about a third
of the CPU a delivery costs when its handler does little (make bench-profile). Under load several
workers of one consumer finish within one turn of the event loop; here a finished delivery is only
noted, and at the end of the turn the channel's acks go out together: one ack with ``multiple`` for the
finished deliveries below the oldest one still running, one plain ack for each finished above it.

Nothing is acked that has not finished: ``multiple`` covers a tag only when every delivery up to it has
finished or been settled another way (a requeue). A delivery whose ack was still waiting when the link
broke is redelivered by the broker, as it would be if the worker had not finished: handlers are
idempotent (``UnitOfWork.first_delivery``), and the ack was never a promise to anyone but the broker.
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

import eventlet
from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError as KombuOperationalError

log = logging.getLogger(__name__)


class AckWindow:
    """The deliveries of one channel that are running, and those finished but not yet acked."""

    def __init__(self, channel: Any) -> None:
        self.channel = channel
        self.running: set[int] = set()
        self.finished: list[int] = []
        self._flush_due = False

    def received(self, tag: int) -> None:
        self.running.add(tag)

    def finish(self, tag: int) -> None:
        """Ack ``tag`` with the others finishing in this turn of the event loop."""
        self.running.discard(tag)
        self.finished.append(tag)
        if not self._flush_due:
            self._flush_due = True
            eventlet.spawn_after(0, self.flush)

    def forget(self, tag: int) -> None:
        """``tag`` was settled another way (requeued, rejected): no longer running."""
        self.running.discard(tag)

    def plan(self) -> tuple[int | None, list[int]]:
        """What to send for the finished tags: the tag of one ack ``multiple`` (or None), then single acks."""
        finished, self.finished = sorted(self.finished), []
        oldest_running = min(self.running) if self.running else None
        below = [tag for tag in finished if oldest_running is None or tag < oldest_running]
        above = finished[len(below):]
        return (below[-1] if below else None), above

    def flush(self) -> None:
        self._flush_due = False
        upto, singles = self.plan()
        if self.channel.connection is None:  # the link broke: the broker has taken them back already
            return
        try:
            if upto is not None:
                self.channel.basic_ack(upto, multiple=True)
            for tag in singles:
                self.channel.basic_ack(tag)
        except (AmqpConnectionError, KombuOperationalError, OSError) as exc:
            log.warning("could not ack finished messages, the broker will redeliver them: %s", exc)


_windows: weakref.WeakKeyDictionary[Any, AckWindow] = weakref.WeakKeyDictionary()


def window(message: Any) -> AckWindow:
    """The ack window of the channel ``message`` came on (a reconnection brings a new channel and window)."""
    channel = message.channel
    found = _windows.get(channel)
    if found is None:
        found = _windows[channel] = AckWindow(channel)
    return found


def received(message: Any) -> None:
    """Note a delivery as running (call before its worker is spawned)."""
    window(message).received(message.delivery_tag)


def ack(message: Any) -> None:
    """Ack ``message`` with the others of its channel that finish in this turn of the event loop."""
    if message.acknowledged:
        return
    # kombu's own bookkeeping: the message counts as acked from now on, as message.ack() would mark it
    message._state = "ACK"
    window(message).finish(message.delivery_tag)


def forget(message: Any) -> None:
    """``message`` was requeued or rejected: it no longer holds back the acks of later ones."""
    window(message).forget(message.delivery_tag)
