"""Delivery receipts recorded in batches: one transaction for all the receipts that came in meanwhile.

Each receipt's green thread waits until its batch is committed, so the SMSC gets deliver_sm_resp
only for a receipt that is recorded (a failed batch raises in every waiter: the SMSC keeps those
receipts and sends them again). A receipt can overtake the recording of its own submit (the parts
are recorded once the whole message is submitted): it is tried again in the next batches until
``wait`` has passed, then ignored with a warning, as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import eventlet
from eventlet.event import Event as GreenEvent

from notify import domain

log = logging.getLogger(__name__)
Recorder = Callable[[list[domain.Receipt], datetime], list[bool]]


@dataclass
class _Waiting:
    receipt: domain.Receipt
    since: float
    done: GreenEvent = field(default_factory=GreenEvent)


class ReceiptBatcher:
    """``record(receipt)`` blocks until the receipt is committed (True) or given up as unknown (False)."""

    def __init__(self, recorder: Recorder, wait: float = 3.0, pause: float = 0.05, limit: int = 500) -> None:
        self.recorder, self.wait, self.pause, self.limit = recorder, wait, pause, limit
        self._queue: list[_Waiting] = []
        self._writer: object | None = None

    def record(self, receipt: domain.Receipt) -> bool:
        waiting = _Waiting(receipt, time.monotonic())
        self._queue.append(waiting)
        if self._writer is None:
            self._writer = eventlet.spawn(self._write)
        result = waiting.done.wait()
        if isinstance(result, BaseException):
            raise result
        return bool(result)

    def _write(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[:self.limit], self._queue[self.limit:]
                try:
                    found = self.recorder([w.receipt for w in batch], datetime.now(UTC))
                except Exception as exc:  # noqa: BLE001 - every waiter answers the SMSC with an error
                    for waiting in batch:
                        waiting.done.send(exc)
                    continue
                unknown = self._answer(batch, found)
                if unknown:
                    self._queue.extend(unknown)
                    if len(unknown) == len(self._queue):
                        eventlet.sleep(self.pause)  # only the early ones left: give their submits time
        finally:
            self._writer = None

    def _answer(self, batch: list[_Waiting], found: list[bool]) -> list[_Waiting]:
        """Wake the recorded and the expired; the rest go round again."""
        now, unknown = time.monotonic(), []
        for waiting, known in zip(batch, found, strict=True):
            if known:
                waiting.done.send(True)
            elif now - waiting.since >= self.wait:
                log.warning("delivery receipt for unknown SMSC id %s (%s) ignored",
                            waiting.receipt.provider_id, waiting.receipt.stat)
                waiting.done.send(False)
            else:
                unknown.append(waiting)
        return unknown
