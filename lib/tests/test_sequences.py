"""Gap-free numbering: application and certificate numbers run 1, 2, 3 … per counter, never twice.

Numbers are taken inside the unit of work that uses them, so a failed acceptance gives its number
back. On PostgreSQL, windows accepting at the same moment (several workers or replicas, each with
its own connection and transaction) must still get distinct numbers with no gap, including the
very first number of a new counter.
"""

from __future__ import annotations

from collections.abc import Iterator

import eventlet
import eventlet.hubs
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from conftest import StoreFactory
from intake.models import metadata, sequences
from intake.settings import MIGRATIONS
from sunlight.db import Store, make_engine
from sunlight.sequences import next_value

COUNTER = "application:xz:2025"
WINDOWS = 10


class WindowTrouble(Exception):
    """An acceptance that failed after it had taken its number."""


@pytest.fixture
def store(make_store: StoreFactory) -> Store:
    return make_store(metadata, MIGRATIONS, "intake")


def take(store: Store, name: str = COUNTER) -> int:
    with store.unit_of_work() as uow:
        return next_value(uow.session, sequences, name)


def test_numbers_run_one_two_three(store: Store) -> None:
    assert [take(store) for _ in range(5)] == [1, 2, 3, 4, 5]


def test_each_counter_runs_on_its_own(store: Store) -> None:
    taken = [
        (name, take(store, name))
        for name in ["application:xz:2025", "application:xz:2025", "permit:xz:2025", "application:xz:2026"]
    ]
    taken.append(("application:xz:2025", take(store, "application:xz:2025")))

    assert taken == [
        ("application:xz:2025", 1),
        ("application:xz:2025", 2),
        ("permit:xz:2025", 1),
        ("application:xz:2026", 1),
        ("application:xz:2025", 3),
    ]


def test_a_failed_acceptance_gives_its_number_back(store: Store) -> None:
    assert take(store) == 1
    with pytest.raises(WindowTrouble), store.unit_of_work() as uow:
        assert next_value(uow.session, sequences, COUNTER) == 2
        raise WindowTrouble("printer jammed")

    assert take(store) == 2


def test_a_failed_first_number_of_a_new_counter_is_given_back(store: Store) -> None:
    with pytest.raises(WindowTrouble), store.unit_of_work() as uow:
        assert next_value(uow.session, sequences, COUNTER) == 1
        raise WindowTrouble("printer jammed")

    assert take(store) == 1


@pytest.fixture
def windows(store: Store) -> Iterator[Engine]:
    """An engine whose connections overlap: each window's transaction is open at the same time.

    ``make_engine`` makes psycopg2 green (it would otherwise block the whole eventlet process and
    the green threads would take turns), so these transactions overlap like separate replicas.
    """
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one connection per process: windows cannot overlap")
    engine = make_engine(store.engine.url.render_as_string(hide_password=False), pool_size=WINDOWS)
    try:
        yield engine
    finally:
        engine.dispose()


def accept_at_once(engine: Engine) -> tuple[list[int], list[BaseException]]:
    """Every window opens its transaction, then all take a number and hold it a moment."""
    opened = [0]

    def accept() -> int:
        with Session(engine) as session, session.begin():
            session.connection()
            opened[0] += 1
            while opened[0] < WINDOWS:
                eventlet.sleep(0.005)
            number = next_value(session, sequences, COUNTER)
            eventlet.sleep(0.02)
            return number

    pool = eventlet.GreenPool(WINDOWS)
    threads = [pool.spawn(accept) for _ in range(WINDOWS)]
    numbers: list[int] = []
    failures: list[BaseException] = []
    with eventlet.Timeout(20):
        for thread in threads:
            try:
                numbers.append(thread.wait())
            except Exception as exc:  # collected: the test shows every failed window
                failures.append(exc)
    return numbers, failures


def test_windows_accepting_at_once_get_distinct_numbers_without_gaps(windows: Engine) -> None:
    with Session(windows) as session, session.begin():
        assert next_value(session, sequences, COUNTER) == 1

    numbers, failures = accept_at_once(windows)

    assert failures == []
    assert sorted(numbers) == list(range(2, 2 + WINDOWS))


def test_windows_taking_the_first_number_of_a_year_at_once_all_succeed(windows: Engine) -> None:
    numbers, failures = accept_at_once(windows)

    assert failures == []
    assert sorted(numbers) == list(range(1, 1 + WINDOWS))
    with Session(windows) as session:
        assert session.scalars(select(sequences.c.last_value)).all() == [WINDOWS]
