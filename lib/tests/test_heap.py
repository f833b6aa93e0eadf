"""The collector settings a started service runs with (sunlight.heap)."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from sunlight import heap


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_collector")
def test_settle_freezes_the_startup_heap_and_collects_the_young_less_often() -> None:
    middle, old = gc.get_threshold()[1:]
    built_at_start = [object() for _ in range(1000)]

    heap.settle()

    assert gc.get_freeze_count() >= len(built_at_start)  # no collection walks them again
    assert gc.get_threshold() == (heap.YOUNG_THRESHOLD, middle, old)


@pytest.mark.usefixtures("restored_collector")
def test_cycles_made_after_settling_are_still_collected() -> None:
    heap.settle()

    class Node:
        peer: object

    collected = []
    a, b = Node(), Node()
    a.peer, b.peer = b, a
    weakref.finalize(a, collected.append, "a")
    del a, b
    gc.collect()

    assert collected == ["a"]
