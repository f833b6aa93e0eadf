"""Receipts that arrive together are written together; each is answered only once it is written."""

from __future__ import annotations

from datetime import datetime

import eventlet
import pytest

from notify import domain
from notify.receipts import ReceiptBatcher


def receipt(provider_id: str) -> domain.Receipt:
    return domain.Receipt(provider_id, "DELIVRD", "000")


class Parts:
    """The parts on record, as the database would hold them; counts the transactions asked of it."""

    def __init__(self, *known: str) -> None:
        self.known = set(known)
        self.batches: list[list[str]] = []
        self.down = False

    def record(self, receipts: list[domain.Receipt], now: datetime) -> list[bool]:
        eventlet.sleep(0)  # a real transaction yields to other green threads
        if self.down:
            raise ConnectionError("database unreachable")
        self.batches.append([r.provider_id for r in receipts])
        return [r.provider_id in self.known for r in receipts]


def answers(batcher: ReceiptBatcher, ids: list[str]) -> list[object]:
    def one(provider_id: str) -> object:
        try:
            return batcher.record(receipt(provider_id))
        except ConnectionError as exc:
            return exc

    pool = eventlet.GreenPool()
    return list(pool.imap(one, ids))


def test_receipts_arriving_together_are_written_in_one_transaction_not_one_each() -> None:
    parts = Parts(*(f"m{i}" for i in range(50)))
    assert answers(ReceiptBatcher(parts.record), [f"m{i}" for i in range(50)]) == [True] * 50
    assert sum(len(batch) for batch in parts.batches) == 50
    assert len(parts.batches) <= 2  # the first alone, then everything that came in meanwhile


def test_a_receipt_that_overtakes_its_own_submit_is_written_once_the_part_is_on_record() -> None:
    parts = Parts()
    batcher = ReceiptBatcher(parts.record, wait=3, pause=0.01)
    early = eventlet.spawn(batcher.record, receipt("m1"))
    eventlet.sleep(0.05)
    parts.known.add("m1")  # the sender commits the part
    assert early.wait() is True


def test_a_receipt_for_an_id_never_sent_is_given_up_after_the_wait() -> None:
    parts = Parts("m1")
    assert answers(ReceiptBatcher(parts.record, wait=0.05, pause=0.01), ["m1", "ghost"]) == [True, False]


def test_when_the_batch_cannot_be_written_every_receipt_in_it_is_refused_so_the_smsc_resends_it() -> None:
    parts = Parts("m1", "m2")
    parts.down = True
    got = answers(ReceiptBatcher(parts.record), ["m1", "m2"])
    assert all(isinstance(answer, ConnectionError) for answer in got)
    parts.down = False
    assert answers(ReceiptBatcher(parts.record), ["m1", "m2"]) == [True, True]


@pytest.mark.parametrize("size", [1, 3])
def test_a_batch_never_exceeds_its_limit(size: int) -> None:
    parts = Parts(*(f"m{i}" for i in range(7)))
    assert answers(ReceiptBatcher(parts.record, limit=size), [f"m{i}" for i in range(7)]) == [True] * 7
    assert max(len(batch) for batch in parts.batches) <= size
