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


def spaced(batcher: WriteBatcher[str], items: list[str], gap: float) -> list[object]:
    """Submit ``items`` ``gap`` seconds apart, each from its own green thread, as deliveries trickle in."""
    pool = eventlet.GreenPool()
    threads = []
    for item in items:
        threads.append(pool.spawn(batcher.submit, item))
        eventlet.sleep(gap)
    return [thread.wait() for thread in threads]


def test_a_lingering_writer_takes_what_trickles_in_meanwhile_in_one_transaction() -> None:
    table = Table()
    spaced(WriteBatcher(table.write, limit=50, linger=0.5), [f"m{i}" for i in range(10)], gap=0.01)
    assert table.transactions == 1 and sorted(table.rows) == sorted(f"m{i}" for i in range(10))


def test_without_a_linger_items_that_trickle_in_are_written_as_they_come() -> None:
    table = Table()
    spaced(WriteBatcher(table.write), [f"m{i}" for i in range(10)], gap=0.01)
    assert table.transactions == 10 and len(table.rows) == 10


def test_a_lingering_writer_writes_at_once_when_the_limit_is_reached() -> None:
    table = Table()
    batcher = WriteBatcher(table.write, limit=3, linger=30)
    pool = eventlet.GreenPool()
    with eventlet.Timeout(5):  # the linger is 30 s: only reaching the limit can end the wait before this
        assert list(pool.imap(batcher.submit, ["m1", "m2", "m3"])) == [None, None, None]
    assert table.rows == ["m1", "m2", "m3"] and table.transactions == 1


def test_a_lone_item_is_written_when_the_linger_runs_out() -> None:
    table = Table()
    assert outcomes(WriteBatcher(table.write, limit=50, linger=0.05), ["m1"]) == ["written"]
    assert table.rows == ["m1"]
