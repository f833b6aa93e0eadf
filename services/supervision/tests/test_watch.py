"""Lights raised from the database and the Redis deadline index (real SQLite/PostgreSQL, real Redis), fixed clock.

The Spring Festival case of ``test_clocks`` is fed in as supervision's handler would: each event appended to
the audit log and its case reconciled at the time it happened. Ticks then run at chosen instants.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import redis
from siblings import sibling
from sqlalchemy import select

from sunlight.contracts import CASE_URGED, new_event
from sunlight.db import Store
from supervision import audit_log, watch
from supervision.dependencies import DueIndex
from supervision.models import CaseClockRow, LightRow, UrgingRow, metadata
from supervision.settings import MIGRATIONS, thresholds_config

story = sibling("test_clocks")
at, CASE, REVIEW, STORY = story.at, story.CASE, story.REVIEW, story.STORY
RULES = watch.Rules(story.CAL, thresholds_config())
SOURCES = {"application.accepted": "intake"}


@pytest.fixture
def store(make_store: Callable[..., Store]) -> Store:
    return make_store(metadata, MIGRATIONS, "supervision")


@pytest.fixture
def index() -> Iterator[DueIndex]:
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    due = DueIndex(client, f"sunlight-test-{uuid.uuid4().hex[:8]}:supervision:deadlines")
    yield due
    client.delete(due.key, due.built_key)
    client.close()


def feed(store: Store, index: DueIndex, events: list[dict[str, Any]]) -> None:
    """Each event as the handler takes it: appended, then its case reconciled at the time it happened."""
    for body in events:
        full = {**body, "source": SOURCES.get(body["event_type"], "workflow"), "schema_version": 1,
                "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, body["event_id"]))}
        with store.unit_of_work() as uow:
            audit_log.append_event(uow.session, full)
            next_at = watch.reconcile(uow, CASE, datetime.fromisoformat(body["occurred_at"]), RULES)
        index.schedule(CASE, next_at)


def lights(store: Store) -> list[tuple[str, str]]:
    with store.read() as session:
        return [(r.target, r.level) for r in session.scalars(select(LightRow).order_by(LightRow.id))]


def published(store: Store) -> list[tuple[str, str]]:
    with store.read() as session:
        rows = session.execute(select(metadata.tables["outbox"].c.body)).scalars()
        return [(json.loads(b)["event_type"], json.loads(b)["payload"]["target"]) for b in rows]


def until(when: datetime) -> list[dict[str, Any]]:
    return [e for e in STORY if datetime.fromisoformat(e["occurred_at"]) <= when]


def test_a_tick_raises_the_lights_fallen_due_and_announces_each_once(store: Store, index: DueIndex) -> None:
    feed(store, index, until(at(2, 27, 9)))
    assert watch.tick(store, index, at(2, 25, 11), RULES) == 0  # nothing due yet: nothing looked at
    assert watch.tick(store, index, at(2, 26, 12), RULES) == 1
    assert lights(store) == [(REVIEW, "prompt"), (REVIEW, "yellow")]
    assert published(store) == [("deadline.prompted", REVIEW), ("deadline.yellow", REVIEW)]
    assert watch.tick(store, index, at(2, 26, 12), RULES) == 0
    assert len(lights(store)) == 2
    # the case's own prompt is next: one working day before 20 March
    assert index.due(at(3, 19, 17, 29), 10) == [] and index.due(at(3, 19, 17, 30), 10) == [CASE]


def test_a_tick_missed_for_weeks_catches_up_in_one_run(store: Store, index: DueIndex) -> None:
    feed(store, index, until(at(2, 27, 9)))
    watch.tick(store, index, at(3, 23, 9), RULES)
    assert sorted(lights(store)) == sorted([(REVIEW, "prompt"), (REVIEW, "yellow"),
                                            ("case", "prompt"), ("case", "yellow")])
    with store.read() as session:
        record = session.get(CaseClockRow, CASE)
        assert record is not None and record.state == "running" and record.next_light_at is None
    assert index.size() == 0


def test_redis_losing_the_index_is_rebuilt_from_the_database(store: Store, index: DueIndex) -> None:
    feed(store, index, until(at(2, 27, 9)))
    index.client.delete(index.key, index.built_key)
    assert watch.tick(store, index, at(2, 26, 12), RULES) == 1
    assert lights(store) == [(REVIEW, "prompt"), (REVIEW, "yellow")]


def test_a_light_moved_while_redis_was_unreachable_still_fires(store: Store, index: DueIndex) -> None:
    index.rebuild([])  # built before the outage: the marker stays, so only the missed update can tell
    reachable, index.client = index.client, redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    feed(store, index, until(at(2, 27, 9)))  # the events are audited and reconciled all the same
    index.client = reachable
    assert watch.tick(store, index, at(2, 26, 12), RULES) == 1
    assert lights(store) == [(REVIEW, "prompt"), (REVIEW, "yellow")]


def test_a_late_stage_completion_still_leaves_its_yellow_light(store: Store, index: DueIndex) -> None:
    # no tick ever ran: the events themselves bring the lights in when they arrive
    feed(store, index, STORY)
    assert lights(store) == [(REVIEW, "prompt"), (REVIEW, "yellow"), (story.APPROVE, "prompt")]
    with store.read() as session:
        record = session.get(CaseClockRow, CASE)
        assert record is not None and record.state == "closed"
        assert record.promised_date.isoformat() == "2026-03-20"


def test_while_returned_for_correction_the_case_leaves_the_index(store: Store, index: DueIndex) -> None:
    feed(store, index, until(at(2, 11, 15)))
    assert index.size() == 0
    with store.read() as session:
        record = session.get(CaseClockRow, CASE)
        assert record is not None and record.state == "stopped" and record.deadline is None
    feed(store, index, [STORY[4]])  # resumed
    assert index.size() == 1


def test_an_urged_stage_still_overdue_at_the_urging_deadline_is_lit_red(store: Store, index: DueIndex) -> None:
    feed(store, index, until(at(2, 27, 9)))
    watch.tick(store, index, at(2, 26, 12), RULES)
    with store.unit_of_work() as uow:  # as the urge RPC writes it: the notice and its audit record together
        uow.session.add(UrgingRow(case_number=CASE, target=REVIEW, urged_by="hz-land/supervision/inspector",
                                  note="", deadline=at(2, 27, 17, 30), urged_at=at(2, 26, 12)))
        watch.emit_audited(uow, new_event(CASE_URGED, CASE, {
            "target": REVIEW, "stage": "review", "post": "hz-land/use-division/reviewer", "tenant": "hz-land",
            "item_code": "HZ-JS-0301", "urged_by": "hz-land/supervision/inspector", "deadline": at(2, 27, 17, 30),
            "note": "", "kind": "case"}, at(2, 26, 12)))
        uow.session.flush()
        index.schedule(CASE, watch.reconcile(uow, CASE, at(2, 26, 12), RULES))
    assert index.due(at(2, 27, 17, 30), 10) == [CASE]
    watch.tick(store, index, at(2, 27, 17, 30), RULES)
    assert lights(store) == [(REVIEW, "prompt"), (REVIEW, "yellow"), (REVIEW, "red")]
