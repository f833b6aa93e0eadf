"""The 'sent' of messages submitted together is written together; each sender goes on only once its own is written."""

from __future__ import annotations

from collections.abc import Sequence

import eventlet

from sunlight.batching import Batcher, WriteBatcher


class Table:
    """Rows as the database would hold them; counts the transactions asked of it, refuses what it is told to."""

    def __init__(self, refused: str = "") -> None:
        self.rows: list[str] = []
        self.transactions = 0
        self.refused, self.down = refused, False

    def write(self, batch: Sequence[str]) -> None:
        eventlet.sleep(0)  # a real transaction yields to other green threads
        self.transactions += 1
        if self.down:
            raise ConnectionError("database unreachable")
        if self.refused in batch:
            raise ValueError(f"{self.refused} cannot be written")
        self.rows.extend(batch)


def outcomes(batcher: WriteBatcher[str], items: list[str]) -> list[object]:
    def one(item: str) -> object:
        try:
            batcher.submit(item)
        except (ConnectionError, ValueError) as exc:
            return exc
        return "written"

    return list(eventlet.GreenPool().imap(one, items))


def test_sends_arriving_together_are_written_in_one_transaction_not_one_each() -> None:
    table = Table()
    assert outcomes(WriteBatcher(table.write), [f"m{i}" for i in range(50)]) == ["written"] * 50
    assert sorted(table.rows) == sorted(f"m{i}" for i in range(50))
    assert table.transactions <= 2  # the first alone, then everything that came in meanwhile


def test_an_item_that_cannot_be_written_fails_only_its_own_sender() -> None:
    table = Table(refused="m3")
    got = outcomes(WriteBatcher(table.write), [f"m{i}" for i in range(6)])
    assert isinstance(got[3], ValueError)
    assert [answer for i, answer in enumerate(got) if i != 3] == ["written"] * 5
    assert sorted(table.rows) == ["m0", "m1", "m2", "m4", "m5"]


def test_when_the_database_is_down_every_sender_sees_it_and_nothing_is_taken_for_written() -> None:
    table = Table()
    table.down = True
    got = outcomes(WriteBatcher(table.write), ["m1", "m2", "m3"])
    assert all(isinstance(answer, ConnectionError) for answer in got) and table.rows == []
    table.down = False
    assert outcomes(WriteBatcher(table.write), ["m1", "m2"]) == ["written", "written"]


def test_a_batch_never_exceeds_its_limit() -> None:
    table = Table()
    sizes: list[int] = []
    batcher = WriteBatcher(lambda batch: (sizes.append(len(batch)), table.write(batch))[1], limit=3)
    assert outcomes(batcher, [f"m{i}" for i in range(7)]) == ["written"] * 7
    assert max(sizes) <= 3 and len(table.rows) == 7


def test_each_sender_gets_what_the_write_answered_for_its_own_item() -> None:
    batches: list[int] = []

    def write(batch: Sequence[str]) -> list[str]:
        eventlet.sleep(0)
        batches.append(len(batch))
        return [item.upper() for item in batch]

    batcher: Batcher[str, str] = Batcher(write)
    assert list(eventlet.GreenPool().imap(batcher.submit, [f"m{i}" for i in range(20)])) == [
        f"M{i}" for i in range(20)]
    assert len(batches) < 20
