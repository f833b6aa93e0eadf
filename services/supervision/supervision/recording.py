"""Recording the events supervision audits: the ones that arrive together are recorded in one transaction.

Each event was one transaction of its own: the chain head locked, the event appended, its case replayed
and reconciled, a commit, then a Redis round trip for the case's next light. Events arrive in bursts
(a case's four co-reviews open together; many cases run at once), so ``record`` takes a batch: the batch is
marked seen with one statement and appended with another, under one lock of the chain head; each case the
batch touches is reconciled once, after all its events are in, and the caller puts the cases' next lights
into Redis in one round trip after the commit.

A case reconciled after two of its events lights what it would have lit after each of them: ``reconcile``
replays the whole trail at ``now`` and raises every light it earned, a stage completed late included.
A violation that the first event would show and the second disproves is never raised, where one by one
it was raised and withdrawn in the same instant.

A repeated event changes nothing, but its case's next light is put into Redis again from the database:
the delivery is repeated when its first run committed and then died before Redis heard of the case.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select

from sunlight.contracts import Event
from sunlight.db import UnitOfWork
from supervision import audit_log, summaries, watch
from supervision.domain import violations
from supervision.models import CaseClockRow

CONSUMER = "supervision.record_event"
_CLOCKS = CaseClockRow.__table__
_STORED_NEXT_LIGHTS = (select(_CLOCKS.c.case_number, _CLOCKS.c.next_light_at)
                       .where(_CLOCKS.c.case_number.in_(bindparam("numbers", expanding=True))))


class Received(NamedTuple):
    """One delivery: the event as validated, and its body as received (what the audit record keeps and hashes)."""

    event: Event
    body: dict[str, Any]


@dataclass
class Recorded:
    """What a batch did: the records appended per source, the repeats dropped, and each case's next light."""

    sources: Counter[str] = field(default_factory=Counter)
    repeats: int = 0
    next_lights: dict[str, datetime | None] = field(default_factory=dict)


def record(uow: UnitOfWork, batch: Sequence[Received], now: datetime, rules: watch.Rules) -> Recorded:
    """Append each event not seen before, once; bring every case they touch up to ``now``."""
    done = Recorded()
    touched: dict[str, set[str]] = {}  # case -> the event types recorded for it now
    repeated: set[str] = set()
    first = uow.first_deliveries([event.event_id for event, _ in batch], CONSUMER)
    appended = []
    for event, body in batch:
        if event.event_id not in first:
            done.repeats += 1
            if event.case_number:
                repeated.add(event.case_number)
            continue
        first.discard(event.event_id)  # the same event twice in one batch: the second is a repeat
        appended.append(body)
        done.sources[event.source] += 1
        if event.case_number:
            touched.setdefault(event.case_number, set()).add(event.event_type)
    audit_log.append_events(uow.session, appended)
    # the cases whose violations may change: the other events leave them be
    checked = {number for number, types in touched.items() if any(map(violations.may_change, types))}
    # what reconciling reads of each case, read for all of them at once: one statement each, not one per case
    audit_log.read_trails(uow.session, list(touched))
    summaries.read_stages(uow.session, list(touched))
    watch.read_open_violations(uow.session, [number for number in touched if number in checked])
    for case_number in touched:
        done.next_lights[case_number] = watch.reconcile(uow, case_number, now, rules)
        if case_number in checked:
            watch.raise_violations(uow, case_number, now)
    again = sorted(repeated - touched.keys())
    if again:
        rows = uow.session.connection().execute(_STORED_NEXT_LIGHTS, {"numbers": again})
        done.next_lights.update({row.case_number: row.next_light_at for row in rows})
    return done
