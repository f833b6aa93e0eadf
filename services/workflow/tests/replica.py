"""One workflow replica in its own process, for the SQLite replica test: it completes one task of a case.

Run as ``python replica.py <database URI> <rendezvous dir> <name> <task id> <post>``. It connects to the shared
database as a workflow process does (``make_engine``), says it is ready, waits for
the test's go, then completes its task through the ``complete_task`` entrypoint. To make the race of
issue 11 happen every time rather than once in a while, it pauses right after it has read the case,
until the other replica has read it too (or ``PAUSE_SECONDS`` passed: a replica that waits for the
first one's write lock cannot read before the first one commits).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from nameko.testing.services import worker_factory
from sqlalchemy import event

from sunlight.db import Store, make_engine
from sunlight.outbox import OutboxRelay
from workflow.models import metadata
from workflow.service import WorkflowService

PAUSE_SECONDS = 2.0


class HeldRelay(OutboxRelay):
    """Keeps the events in the outbox: publishing is not what this test is about."""

    def publish_now(self, rows: object) -> int:
        return 0


def wait_for(path: Path, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def main(db_uri: str, rendezvous: str, name: str, task_id: str, post: str) -> None:
    here = Path(rendezvous)
    engine = make_engine(db_uri, pool_size=1)
    read_once: list[bool] = []

    @event.listens_for(engine, "after_cursor_execute")
    def pause_after_reading_the_case(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if read_once or not statement.lstrip().startswith("SELECT") or "cases.state" not in statement:
            return  # not the read of the case's state
        read_once.append(True)
        (here / f"read-{name}").touch()
        others = [p for p in here.glob("ready-*") if p.name != f"ready-{name}"]
        wait_for(here / f"read-{others[0].name.removeprefix('ready-')}", PAUSE_SECONDS)

    tables = (metadata.tables["outbox"], metadata.tables["processed_events"])
    relay = HeldRelay(engine, tables[0], "workflow", "amqp://guest:guest@127.0.0.1:5672/")
    service = worker_factory(WorkflowService, db=Store(engine, relay, tables, "workflow"))
    (here / f"ready-{name}").touch()
    if not wait_for(here / "go", 60):
        raise SystemExit("no go from the test")
    service.complete_task({"task_id": task_id, "post": post, "actor": f"审查员 {name}",
                           "decision": "approve", "opinion": "同意"})
    engine.dispose()


if __name__ == "__main__":
    main(*sys.argv[1:6])
