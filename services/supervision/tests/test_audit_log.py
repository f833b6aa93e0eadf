"""The audit log in a real database (SQLite and PostgreSQL): append-only, and tampering is named.

The database refuses UPDATE and DELETE on the log; someone who owns the database can switch that off,
and then verification — the RPC and ``python -m supervision.verify`` — names the first broken record.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from sunlight.db import Store
from supervision import audit_log
from supervision.models import metadata
from supervision.settings import MIGRATIONS

ROOT = Path(__file__).resolve().parents[3]


def _story_module() -> Any:
    spec = importlib.util.spec_from_file_location("supervision_story", Path(__file__).with_name("test_domain.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


shop_sign_story = _story_module().shop_sign_story


@pytest.fixture
def store(make_store: Callable[..., Store]) -> Store:
    store = make_store(metadata, MIGRATIONS, "supervision")
    with store.unit_of_work() as uow:
        for body in shop_sign_story():
            audit_log.append_event(uow.session, body)
    return store


def verdict(store: Store) -> dict[str, Any]:
    with store.read() as session:
        result = audit_log.verify_chain(session)
    return {"ok": result.ok, "seq": result.first_broken_seq, "reason": result.reason}


def as_owner(store: Store, statement: str, **params: Any) -> None:
    """What someone with the database's owner rights can do: switch the guards off and edit."""
    with store.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_log_no_update"))
            connection.execute(text("DROP TRIGGER audit_log_no_delete"))
        connection.execute(text(statement), params)


def run_verify_command(store: Store) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'lib'}:{ROOT / 'services' / 'supervision'}"}
    uri = store.engine.url.render_as_string(hide_password=False)
    return subprocess.run([sys.executable, "-m", "supervision.verify", "--db-uri", uri],
                          capture_output=True, text=True, env=env, timeout=60, check=False)


def test_an_untouched_log_verifies_by_rpc_logic_and_by_command(store: Store) -> None:
    assert verdict(store) == {"ok": True, "seq": None, "reason": ""}
    done = run_verify_command(store)
    assert (done.returncode, done.stdout.strip()) == (0, "audit chain intact: 6 record(s)")


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET body = replace(body, '材料齐全', '材料不全') WHERE seq = 4",
    "DELETE FROM audit_log WHERE seq = 6",
])
def test_the_database_refuses_to_change_or_delete_a_record(store: Store, statement: str) -> None:
    with pytest.raises(DatabaseError, match="append-only"), store.engine.begin() as connection:
        connection.execute(text(statement))
    assert verdict(store)["ok"] is True


def test_the_chain_head_cannot_be_wound_back(store: Store) -> None:
    with pytest.raises(DatabaseError, match="forward"), store.engine.begin() as connection:
        connection.execute(text("UPDATE audit_chain_head SET last_seq = 5"))


@pytest.mark.parametrize("statement", [
    "UPDATE audit_chain_head SET last_seq = last_seq + 1",  # past the chain: no such record
    "UPDATE audit_chain_head SET last_hash = 'forged'",  # a hash no record has
])
def test_the_chain_head_moves_only_onto_a_record_of_the_log(store: Store, statement: str) -> None:
    with pytest.raises(DatabaseError, match="onto a record"), store.engine.begin() as connection:
        connection.execute(text(statement))
    assert verdict(store)["ok"] is True


def test_an_opinion_rewritten_by_the_database_owner_is_named_by_the_command(store: Store) -> None:
    as_owner(store, "UPDATE audit_log SET body = replace(body, '材料齐全', '材料不全') WHERE seq = 4")
    assert verdict(store)["seq"] == 4
    done = run_verify_command(store)
    assert done.returncode == 1
    assert "BROKEN at record 4" in done.stderr and "altered" in done.stderr


def test_deleting_the_newest_record_is_found_against_the_head(store: Store) -> None:
    as_owner(store, "DELETE FROM audit_log WHERE seq = 6")
    result = verdict(store)
    assert (result["ok"], result["seq"]) == (False, 6)
    assert "missing" in result["reason"]


def test_rewriting_the_newest_record_with_a_fresh_hash_is_found_against_the_head(store: Store) -> None:
    with store.read() as session:
        [body] = session.execute(text("SELECT body FROM audit_log WHERE seq = 6")).scalars()
        [prev] = session.execute(text("SELECT prev_hash FROM audit_log WHERE seq = 6")).scalars()
    from supervision import domain

    event = json.loads(body)
    event["payload"]["certificate_number"] = "拱城管许字(2026)第999999号"
    forged = domain.append(event, seq=6, prev_hash=prev)
    as_owner(store, "UPDATE audit_log SET body = :body, hash = :hash WHERE seq = 6", body=forged.body, hash=forged.hash)
    result = verdict(store)
    assert (result["ok"], result["seq"]) == (False, 6)
    assert "rewritten" in result["reason"]


def test_the_trail_keeps_no_query_code_and_still_verifies(make_store: Callable[..., Store]) -> None:
    """Inspectors read every payload of the trail: a receipt's query code there would let them rate a case or
    follow it as the applicant. The code is left out (the digest intake may add is kept), the rest as received."""
    store = make_store(metadata, MIGRATIONS, "supervision")
    accepted, *rest = shop_sign_story()
    with_code = {**accepted, "payload": {**accepted["payload"], "query_code": "482913", "query_code_digest": "ab" * 32}}
    with store.unit_of_work() as uow:
        for body in (with_code, *rest):
            audit_log.append_event(uow.session, body)
    with store.read() as session:
        kept = audit_log.case_events(session, accepted["case_number"])
        raw = " ".join(session.scalars(text("SELECT body FROM audit_log")))
    assert "482913" not in raw and "query_code" not in kept[0]["payload"]
    assert kept[0]["payload"]["query_code_digest"] == "ab" * 32
    assert kept[0] == {**accepted, "payload": {**accepted["payload"], "query_code_digest": "ab" * 32}}
    assert with_code["payload"]["query_code"] == "482913"  # what was handed in is left as it was
    assert verdict(store) == {"ok": True, "seq": None, "reason": ""}
