"""Events recorded in batches (real SQLite/PostgreSQL): the same audit log, lights and figures as one by one.

The Spring Festival case of ``test_clocks`` is fed in as supervision's handler takes it: once event by event,
each recorded at the time it happened, and once as a few batches that arrive together. Either way the chain
verifies and holds every event once; the same lights are lit and announced; the case's summary is the same.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from siblings import sibling
from sqlalchemy import select

from sunlight.contracts import Event
from sunlight.db import Store
from supervision import audit_log, recording, watch
from supervision.models import AuditRecord, CaseClockRow, LightRow, StageClockRow, ViolationRow, metadata
from supervision.settings import MIGRATIONS, thresholds_config

story = sibling("test_clocks")
at, CASE, STORY = story.at, story.CASE, story.STORY
RULES = watch.Rules(story.CAL, thresholds_config())
SOURCES = {"application.accepted": "intake"}


@pytest.fixture
def make(make_store: Callable[..., Store]) -> Callable[[], Store]:
    return lambda: make_store(metadata, MIGRATIONS, "supervision")


def received(body: dict[str, Any]) -> recording.Received:
    full = {**body, "source": SOURCES.get(body["event_type"], "workflow"), "schema_version": 1,
            "event_id": str(uuid.uuid5(uuid.NAMESPACE_URL, body["event_id"]))}
    # the story's payloads carry only what clocks read: built as the handler would have validated them
    event = Event(event_type=full["event_type"], case_number=full["case_number"], payload=full["payload"],
                  occurred_at=when(full), source=full["source"], event_id=full["event_id"])
    return recording.Received(event, full)


def record(store: Store, batch: list[recording.Received], now: datetime) -> recording.Recorded:
    with store.unit_of_work() as uow:
        return recording.record(uow, batch, now, RULES)


def when(body: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(body["occurred_at"])


def seen(store: Store) -> dict[str, Any]:
    """What a user of supervision sees of the case: the chain, its lights (and their events), its summary."""
    with store.read() as session:
        chain = audit_log.verify_chain(session).ok  # first: it sets the read's isolation
    with store.read() as session:
        types = session.scalars(select(AuditRecord.event_type).where(AuditRecord.case_number == CASE)).all()
        clock = session.get(CaseClockRow, CASE)
        assert clock is not None
        return {
            "chain": chain,
            "events": sorted(types),
            "lights": sorted((r.target, r.level) for r in session.scalars(select(LightRow))),
            "violations": sorted((r.kind, r.target) for r in session.scalars(select(ViolationRow))),
            "announced": sorted(json.loads(body)["event_type"] for body in session.scalars(
                select(metadata.tables["outbox"].c.body))),
            "summary": (clock.state, clock.promised_date, clock.deadline, clock.closed_at, clock.next_light_at),
        }


def test_a_case_recorded_in_batches_reads_the_same_as_one_event_at_a_time(make: Callable[[], Store]) -> None:
    one_by_one, batched = make(), make()
    for body in STORY:
        record(one_by_one, [received(body)], when(body))
    batches = [STORY[:3], STORY[3:6], STORY[6:]]  # each recorded when its last event happened
    for batch in batches:
        record(batched, [received(body) for body in batch], when(batch[-1]))
    expected = seen(one_by_one)
    assert expected["chain"] is True and expected["lights"]  # the story lights the case: the comparison means something
    assert seen(batched) == expected


def as_case(body: dict[str, Any], number: str) -> dict[str, Any]:
    """The story's event as it would be for another case."""
    return {**body, "case_number": number, "event_id": f"{number}/{body['event_id']}"}


def of_case(store: Store, number: str) -> dict[str, Any]:
    """What a user sees of one case among several: its records, lights, violations and summary."""
    with store.read() as session:
        clock = session.get(CaseClockRow, number)
        assert clock is not None
        return {
            "events": sorted(session.scalars(select(AuditRecord.event_type)
                                             .where(AuditRecord.case_number == number)).all()),
            "lights": sorted((r.target, r.level) for r in session.scalars(
                select(LightRow).where(LightRow.case_number == number))),
            "violations": sorted((r.kind, r.target) for r in session.scalars(
                select(ViolationRow).where(ViolationRow.case_number == number))),
            "stages": sorted((r.stage, r.post, r.deadline, r.completed_at, r.working_seconds) for r in session.scalars(
                select(StageClockRow).where(StageClockRow.case_number == number))),
            "summary": (clock.state, clock.promised_date, clock.deadline, clock.closed_at, clock.next_light_at),
        }


def test_cases_recorded_together_each_read_the_same_as_alone(make: Callable[[], Store]) -> None:
    """A batch holds events of many cases; what is read ahead for all of them goes to each its own."""
    alone, together = make(), make()
    for body in STORY:
        record(alone, [received(body)], when(body))
    numbers = (CASE, f"{CASE}-B", f"{CASE}-C")
    interleaved = [as_case(body, number) for body in STORY for number in numbers]
    for start in range(0, len(interleaved), 7):  # batches that cut across cases
        batch = interleaved[start:start + 7]
        record(together, [received(body) for body in batch], when(batch[-1]))
    expected = of_case(alone, CASE)
    assert expected["lights"]  # the story lights the case: the comparison means something
    for number in numbers:
        assert of_case(together, number) == expected, number
    with together.read() as session:
        assert audit_log.verify_chain(session).ok


def test_a_repeat_in_the_batch_or_after_it_is_recorded_once(make: Callable[[], Store]) -> None:
    store = make()
    first, second = received(STORY[0]), received(STORY[1])
    done = record(store, [first, second, first], when(STORY[1]))
    assert done.repeats == 1 and sum(done.sources.values()) == 2
    again = record(store, [second], when(STORY[1]))
    assert again.repeats == 1 and not again.sources
    with store.read() as session:
        assert len(session.scalars(select(AuditRecord.seq).where(AuditRecord.case_number == CASE)).all()) == 2


def test_a_repeat_hands_back_the_cases_next_light_from_the_database(make: Callable[[], Store]) -> None:
    """The first run committed and died before Redis heard of the case: its repeat puts the case in the index."""
    store = make()
    accepted = received(STORY[0])
    recorded = record(store, [accepted], when(STORY[0])).next_lights[CASE]
    assert recorded is not None
    assert record(store, [accepted], when(STORY[0])).next_lights == {CASE: recorded}


def test_events_without_a_case_are_chained_and_schedule_nothing(make: Callable[[], Store]) -> None:
    store = make()
    body = {**STORY[0], "case_number": None, "event_id": "no-case"}
    done = record(store, [received(body)], when(STORY[0]))
    assert done.next_lights == {} and sum(done.sources.values()) == 1


def test_the_recorder_batches_as_configured_and_a_zero_linger_means_none() -> None:
    from nameko import config

    from supervision.settings import recording_batch

    with config.patch({}, clear=True):
        assert recording_batch() == (50, 0.05)  # the defaults of config.yml
    with config.patch({"RECORD_BATCH_LIMIT": 20, "RECORD_LINGER_MS": 0}):
        assert recording_batch() == (20, 0.0)  # 0 turns the linger off; it is not taken for "unset"
