"""A service's database on SQLite and on PostgreSQL: all or nothing, exactly once, instants in UTC.

The tables and Alembic chain are intake's, migrated the way the service migrates at start; the
story is a shop-sign application accepted at a window, with its ``application.accepted`` event.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.exc import StatementError

from conftest import StoreFactory
from intake.models import Application, metadata, outbox, processed_events
from intake.settings import MIGRATIONS
from sunlight.contracts import APPLICATION_ACCEPTED, Event, new_event
from sunlight.db import Store
from sunlight.migrations import alembic_config, upgrade_to_head
from sunlight.outbox import OutboxRelay, Pending

SHANGHAI = timezone(timedelta(hours=8))
ACCEPTED_AT = datetime(2025, 3, 3, 9, 30, tzinfo=SHANGHAI)  # 01:30 UTC
NUMBER = "XZ-2025-000001"


class WindowTrouble(Exception):
    """Something went wrong half-way through accepting an application."""


@pytest.fixture
def store(make_store: StoreFactory) -> Store:
    return make_store(metadata, MIGRATIONS, "intake")


def shop_sign_application(number: str = NUMBER, accepted_at: datetime = ACCEPTED_AT) -> Application:
    return Application(
        number=number,
        tenant="xz",
        item_code="shop-sign",
        applicant_name="张三",
        applicant_kind="person",
        id_number="110101199001011234",
        mobile="13800000000",
        materials={"site-photo": "photo.jpg"},
        form={"sign_area": 12},
        channel="window",
        query_code="123456",
        status="accepted",
        accepted_at=accepted_at,
        promised_date=date(2025, 3, 14),
    )


def accepted_event(number: str = NUMBER) -> Event:
    payload = {
        "application_number": number,
        "item_code": "shop-sign",
        "item_name": "户外招牌设置审批",
        "tenant": "xz",
        "process": "two-stage",
        "applicant": {"name": "张三", "mobile": "13800000000"},
        "accepted_at": ACCEPTED_AT,
        "promised_date": date(2025, 3, 14),
        "certificate_kind": "permit",
        "fees_due": [],
        "form": {},
        "query_code": "482913",
        "permit_series": "招牌",
    }
    return new_event(APPLICATION_ACCEPTED, number, payload, ACCEPTED_AT)


def count(engine: Engine, table: Any) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def test_accepting_writes_the_application_and_its_event_together(store: Store) -> None:
    event = accepted_event()

    with store.unit_of_work() as uow:
        uow.session.add(shop_sign_application())
        uow.emit(event)

    with store.read() as session:
        statuses = session.scalars(select(Application.status)).all()
        row = session.execute(select(outbox)).one()
    assert statuses == ["accepted"]
    assert row.event_id == event.event_id
    assert row.event_type == APPLICATION_ACCEPTED
    assert row.published_at is None
    written = Event.from_message(json.loads(row.body))
    assert written == event
    assert written.source == "intake"


def test_a_failure_half_way_leaves_neither_the_application_nor_the_event(store: Store) -> None:
    with pytest.raises(WindowTrouble), store.unit_of_work() as uow:
        uow.session.add(shop_sign_application())
        uow.emit(accepted_event())
        uow.session.flush()
        raise WindowTrouble("printer jammed")

    assert count(store.engine, Application.__table__) == 0
    assert count(store.engine, outbox) == 0
    assert store.relay.pending_count() == 0


def test_a_failed_commit_leaves_no_event_behind(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.session.add(shop_sign_application())
        uow.emit(accepted_event())

    # the same number again: the commit fails on the primary key, and its event goes with it
    with pytest.raises(Exception, match="(?i)unique|duplicate"), store.unit_of_work() as uow:
        uow.emit(accepted_event("XZ-2025-000002"))
        uow.session.add(shop_sign_application())

    assert count(store.engine, outbox) == 1


class RecordingRelay(OutboxRelay):
    """Notes, at the moment it is asked to publish, what another connection sees committed."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, outbox, "intake", "amqp://guest:guest@127.0.0.1:1/")
        self.asked: list[tuple[list[str], int]] = []

    def publish_now(self, rows: Sequence[Pending]) -> int:
        self.asked.append(([row.event_id for row in rows], self.pending_count()))
        return 0


def test_events_are_handed_to_the_relay_only_after_commit(store: Store) -> None:
    relay = RecordingRelay(store.engine)
    store.relay = relay
    event = accepted_event()

    with store.unit_of_work() as uow:
        uow.session.add(shop_sign_application())
        uow.emit(event)
    with pytest.raises(WindowTrouble), store.unit_of_work() as uow:
        uow.emit(accepted_event("XZ-2025-000002"))
        raise WindowTrouble("power cut")

    assert relay.asked == [([event.event_id], 1)]


def test_a_unit_of_work_without_events_asks_nothing_of_the_relay(store: Store) -> None:
    relay = RecordingRelay(store.engine)
    store.relay = relay

    with store.unit_of_work() as uow:
        uow.session.add(shop_sign_application())

    assert relay.asked == []


def test_a_redelivered_event_is_processed_once(store: Store) -> None:
    event_id = accepted_event().event_id

    with store.unit_of_work() as uow:
        first = uow.first_delivery(event_id, "workflow.on_application_accepted")
    with store.unit_of_work() as uow:
        again = uow.first_delivery(event_id, "workflow.on_application_accepted")

    assert (first, again) == (True, False)
    assert count(store.engine, processed_events) == 1


def test_each_consumer_sees_an_event_for_the_first_time_once(store: Store) -> None:
    event_id = accepted_event().event_id

    with store.unit_of_work() as uow:
        seen = [
            uow.first_delivery(event_id, "notify.accepted"),
            uow.first_delivery(event_id, "supervision.record_event"),
            uow.first_delivery(event_id, "notify.accepted"),
        ]

    assert seen == [True, True, False]


def test_a_batch_learns_in_one_statement_which_of_its_events_are_new(store: Store) -> None:
    seen_before, new, twice = (accepted_event().event_id for _ in range(3))
    with store.unit_of_work() as uow:
        assert uow.first_delivery(seen_before, "supervision.record_event")

    with store.unit_of_work() as uow:
        first = uow.first_deliveries([seen_before, new, twice, twice], "supervision.record_event")
        assert uow.first_deliveries([], "supervision.record_event") == set()

    assert first == {new, twice}
    assert count(store.engine, processed_events) == 3


def test_a_failed_handler_leaves_the_event_unprocessed_so_the_retry_succeeds(store: Store) -> None:
    event_id = accepted_event().event_id

    with pytest.raises(WindowTrouble), store.unit_of_work() as uow:
        assert uow.first_delivery(event_id, "registry.on_case_approved")
        raise WindowTrouble("numbering failed")
    with store.unit_of_work() as uow:
        retried = uow.first_delivery(event_id, "registry.on_case_approved")

    assert retried is True
    assert count(store.engine, processed_events) == 1


def test_instants_come_back_aware_in_utc_and_are_stored_as_utc(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.session.add(shop_sign_application())

    with store.read() as session:
        accepted_at = session.scalars(select(Application.accepted_at)).one()
        stored = session.execute(text("SELECT accepted_at FROM applications")).scalar_one()
    assert accepted_at == ACCEPTED_AT
    assert accepted_at.tzinfo is UTC
    assert accepted_at.hour == 1
    # what an operator reading the table sees: the UTC wall clock, not Shanghai's
    assert str(stored).startswith("2025-03-03 01:30:00")


def test_instants_order_by_the_real_instant_whatever_zone_they_came_in(store: Store) -> None:
    earlier_in_new_york = datetime(2025, 3, 2, 19, 0, tzinfo=timezone(timedelta(hours=-5)))  # 00:00 UTC
    with store.unit_of_work() as uow:
        uow.session.add(shop_sign_application("XZ-2025-000001", ACCEPTED_AT))
        uow.session.add(shop_sign_application("XZ-2025-000002", earlier_in_new_york))

    with store.read() as session:
        numbers = session.scalars(select(Application.number).order_by(Application.accepted_at)).all()
        since = session.scalars(
            select(Application.number).where(Application.accepted_at >= datetime(2025, 3, 3, 1, 0, tzinfo=UTC))
        ).all()
    assert numbers == ["XZ-2025-000002", "XZ-2025-000001"]
    assert since == ["XZ-2025-000001"]


def test_a_naive_datetime_is_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="naive datetime"), store.unit_of_work() as uow:
        uow.session.add(shop_sign_application(accepted_at=datetime(2025, 3, 3, 9, 30)))

    assert count(store.engine, Application.__table__) == 0


def test_migrating_again_at_the_next_start_changes_nothing(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.session.add(shop_sign_application())
        uow.emit(accepted_event())

    upgrade_to_head(store.engine, MIGRATIONS)
    upgrade_to_head(store.engine, MIGRATIONS)

    with store.engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        tables = set(inspect(connection).get_table_names())
    assert versions == [ScriptDirectory.from_config(alembic_config(MIGRATIONS)).get_current_head()]
    assert {"applications", "outbox", "processed_events", "sequences"} <= tables
    assert count(store.engine, Application.__table__) == 1
    assert count(store.engine, outbox) == 1


def test_on_sqlite_a_unit_of_work_holds_the_write_lock_from_its_first_read(store: Store) -> None:
    """Another process cannot slip a write between what a unit of work read and what it saves (issue 11)."""
    if store.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL locks rows (FOR UPDATE); SQLite has only the file's write lock")
    other_process = sqlite3.connect(store.engine.url.database or "", timeout=0, isolation_level=None)
    try:
        with store.unit_of_work() as uow:
            uow.session.execute(select(Application.number)).all()  # read only, nothing written yet
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other_process.execute("BEGIN IMMEDIATE")
        other_process.execute("BEGIN IMMEDIATE")  # free again once the unit of work committed
        other_process.execute("ROLLBACK")
    finally:
        other_process.close()
