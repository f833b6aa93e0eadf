"""Two workflow replicas on one database (issue 11): a shop-sign's four departments approve at once, two of
them through two different processes, and the leader still gets the case after the last one.

On SQLite this once left a case stuck at the co-review: each replica read the case before the other saved
it, and the second save overwrote the first approval. PostgreSQL runs the same story (its row lock)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from casekit import accepted_message
from nameko.testing.services import worker_factory

from sunlight.db import Store
from tools.stack import python_path
from workflow.models import metadata
from workflow.service import WorkflowService
from workflow.settings import MIGRATIONS

REPLICA = Path(__file__).with_name("replica.py")
NUMBER = "GS-2026-000011"


def start_replica(db_uri: str, rendezvous: Path, name: str, task: dict[str, Any]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(REPLICA), db_uri, str(rendezvous), name, task["task_id"], task["post"]],
        env={"PYTHONPATH": python_path(), "PATH": "/usr/bin:/bin"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_until_ready(rendezvous: Path, names: tuple[str, ...], replicas: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + 120
    while not all((rendezvous / f"ready-{name}").exists() for name in names):
        if any(r.poll() is not None for r in replicas) or time.monotonic() > deadline:
            pytest.fail("a replica did not start: " + " | ".join(
                (r.communicate()[0] or b"").decode(errors="replace")[-2000:] for r in replicas if r.poll() is not None))
        time.sleep(0.05)


def test_two_replicas_approving_one_shop_sign_at_once_still_open_the_leader_task(
        tmp_path: Path, make_store: Any, db_uri: str) -> None:
    store: Store = make_store(metadata, MIGRATIONS, "workflow")
    service = worker_factory(WorkflowService, db=store)
    service.on_application_accepted(accepted_message(NUMBER))
    co_review = [t for t in service.get_case(NUMBER)["tasks"] if t["status"] == "open"]
    assert len(co_review) == 4

    rendezvous = tmp_path / "rendezvous"
    rendezvous.mkdir()
    replicas = [start_replica(db_uri, rendezvous, name, task) for name, task in zip("ab", co_review, strict=False)]
    wait_until_ready(rendezvous, ("a", "b"), replicas)
    (rendezvous / "go").touch()
    for replica in replicas:
        output = replica.communicate(timeout=120)[0].decode(errors="replace")
        assert replica.returncode == 0, output[-3000:]
    for task in co_review[2:]:
        service.complete_task({"task_id": task["task_id"], "post": task["post"], "actor": "审查员",
                               "decision": "approve", "opinion": "同意"})

    case = service.get_case(NUMBER)
    assert sorted(t["status"] for t in case["tasks"] if t["stage"] == "co-review") == ["completed"] * 4
    assert [t["stage"] for t in case["tasks"] if t["status"] == "open"] == ["approve"]
