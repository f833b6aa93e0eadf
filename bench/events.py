"""The driver hears the services' events instead of asking them: one bench-side consumer per run.

A clerk at the window learns that a task has opened from the inbox, not by asking workflow fifty
times a second. The driver used to poll ``workflow.get_case`` and ``notify.messages_for_case`` every
20 ms per case in flight: the services answered the bench's questions on the cores it measured. Now one
exclusive, auto-delete queue of the bench's own is bound to the events that move a case along
(``WATCHED``); each event wakes the green threads waiting on its case, which then read the case once
through the service's API, as before. A wait also ends after its fallback period (``FALLBACK_SECONDS``)
without any event, so an event missed for any reason slows a case down instead of hanging the bench.

An event is heard as its type, or ``<type>:<template>`` for an SMS; a wait names the patterns it cares
about (``fnmatch`` style: ``task.created``, ``case.*``, ``sms.sent:certificate_issued``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from fnmatch import fnmatchcase
from typing import Any

import eventlet
from eventlet.event import Event
from kombu import Connection, Consumer, Queue, binding
from nameko.standalone.events import get_event_exchange

#: the events the driver waits for, by the service whose ``<service>.events`` exchange publishes them
WATCHED = {
    "workflow": ("task.created", "case.*"),
    "registry": ("certificate.issued",),
    "notify": ("sms.sent",),
}
FALLBACK_SECONDS = 1.0  # a wait that hears nothing reads the case anyway after this long
REMEMBERED_CASES = 10_000  # events of cases nobody waits for any more are dropped beyond this


def kind(body: Any) -> str:
    """What an event is, for a waiting driver: its type, and for an SMS which message it was."""
    payload = body.get("payload") or {}
    template = payload.get("template") if isinstance(payload, dict) else None
    return f"{body.get('event_type')}:{template}" if template else str(body.get("event_type"))


class CaseEvents:
    """The events of every case since the consumer started, and the green threads waiting on them."""

    def __init__(self, amqp_uri: str, watched: Mapping[str, tuple[str, ...]] = WATCHED) -> None:
        self.amqp_uri, self.watched = amqp_uri, watched
        self.heard: dict[str, list[str]] = {}  # case number → kinds of its events, in arrival order
        self._woken: dict[str, Event] = {}
        self._connection: Connection | None = None
        self._reader: Any = None

    def start(self) -> CaseEvents:
        """Bind the queue (before the first case is submitted) and start reading it in a green thread."""
        self._connection = Connection(self.amqp_uri)
        queue = Queue(f"bench.driver-{uuid.uuid4()}", exclusive=True, auto_delete=True, durable=False,
                      bindings=[binding(get_event_exchange(service), routing_key=key)
                                for service, keys in self.watched.items() for key in keys])
        Consumer(self._connection.channel(), [queue], callbacks=[self._on_event], no_ack=True,
                 accept=["json"]).consume()
        self._reader = eventlet.spawn(self._read, self._connection)
        return self

    def stop(self) -> None:
        if self._reader is not None:
            self._reader.kill()
            self._reader = None
        if self._connection is not None:
            self._connection.release()
            self._connection = None

    def _read(self, connection: Connection) -> None:
        while True:
            try:
                connection.drain_events(timeout=1.0)
            except TimeoutError:  # socket.timeout: nothing happened for a second
                continue

    def _on_event(self, body: Any, _message: Any) -> None:
        number = body.get("case_number") if isinstance(body, dict) else None
        if not number:
            return
        if number not in self.heard and len(self.heard) >= REMEMBERED_CASES:
            del self.heard[next(iter(self.heard))]  # the oldest: its case is long done
        self.heard.setdefault(number, []).append(kind(body))
        woken = self._woken.pop(number, None)
        if woken is not None:
            woken.send()

    def wait(self, number: str, seconds: float) -> None:
        """Sleep until the next event of case ``number`` arrives, at most ``seconds``."""
        woken = self._woken.setdefault(number, Event())
        with eventlet.Timeout(seconds, False):
            woken.wait()

    @contextmanager
    def watch(self, number: str) -> Iterator[Watch]:
        """Waits on one case for one green thread; the case's events are forgotten afterwards."""
        try:
            yield Watch(self, number)
        finally:
            self.heard.pop(number, None)


class Watch:
    """One driver's ear on one case: ``watch.until("task.created")`` is a pause for ``tools.drive.wait_for``."""

    def __init__(self, events: CaseEvents, number: str) -> None:
        self.events, self.number = events, number
        self.read = 0  # how many of the case's events the driver has already acted on

    def until(self, *patterns: str) -> Pause:
        """A pause that ends as soon as an event matching one of ``patterns`` has arrived unread."""
        return Pause(self, patterns)


class Pause:
    """``pause(seconds)``: return at once if a wanted event came since the last pause, else wait for one."""

    def __init__(self, watch: Watch, patterns: tuple[str, ...]) -> None:
        self.watch, self.patterns = watch, patterns

    def __call__(self, seconds: float) -> None:
        watch, events = self.watch, self.watch.events
        deadline = time.monotonic() + seconds
        while True:
            kinds = events.heard.get(watch.number, [])
            if len(kinds) < watch.read:  # forgotten meanwhile (REMEMBERED_CASES): all of it is news
                watch.read = 0
            fresh, watch.read = kinds[watch.read:], len(kinds)
            remaining = deadline - time.monotonic()
            if any(fnmatchcase(k, p) for k in fresh for p in self.patterns) or remaining <= 0:
                return
            events.wait(watch.number, remaining)


@contextmanager
def case_events(amqp_uri: str, watched: Mapping[str, tuple[str, ...]] = WATCHED) -> Iterator[CaseEvents]:
    """A started consumer for one run of the driver, bound to the ``watched`` events only; stopped afterwards.

    Every event bound is one more delivery for RabbitMQ and one more message for the driver, on the cores
    the services are measured on: a driver binds what it waits for.
    """
    events = CaseEvents(amqp_uri, watched).start()
    try:
        yield events
    finally:
        events.stop()
