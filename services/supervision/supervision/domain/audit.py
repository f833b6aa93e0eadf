"""Supervision's audit rules: an append-only log where each record is chained by hash.

A record's hash covers its sequence number, the event and the previous record's hash, so altering,
removing or reordering any record breaks every hash after it, and verification names the first
broken record. Pure Python.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sunlight.payloads import CREDENTIALS

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    event_id: str
    event_type: str
    source: str
    case_number: str | None
    occurred_at: str
    body: str  # canonical JSON of the whole event
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Verification:
    ok: bool
    records: int
    first_broken_seq: int | None = None
    first_broken_event_id: str | None = None
    reason: str = ""


def canonical(event_body: Mapping[str, Any]) -> str:
    """One spelling of an event, so the same event always hashes the same."""
    return json.dumps(event_body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def without_credentials(event_body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The event as the trail keeps it: the same, less any credential in its payload (checked where it was
    issued, intake; the trail is what the discipline commission and every inspector read)."""
    payload = event_body.get("payload")
    if not isinstance(payload, Mapping) or CREDENTIALS.isdisjoint(payload):
        return event_body
    return {**event_body, "payload": {key: value for key, value in payload.items() if key not in CREDENTIALS}}


def chain_hash(seq: int, body: str, prev_hash: str) -> str:
    """The hash that links record ``seq`` to the one before it."""
    return hashlib.sha256(f"{seq}\n{prev_hash}\n{body}".encode()).hexdigest()


def append(event_body: Mapping[str, Any], *, seq: int, prev_hash: str) -> AuditEntry:
    """The next record of the chain for one event."""
    body = canonical(event_body)
    return AuditEntry(
        seq=seq,
        event_id=str(event_body["event_id"]),
        event_type=str(event_body["event_type"]),
        source=str(event_body["source"]),
        case_number=event_body.get("case_number"),
        occurred_at=str(event_body["occurred_at"]),
        body=body,
        prev_hash=prev_hash,
        hash=chain_hash(seq, body, prev_hash),
    )


@dataclass(frozen=True)
class Head:
    """What the chain head row says the newest record is."""

    last_seq: int
    last_hash: str


def verify(entries: Iterable[AuditEntry], head: Head | None = None) -> Verification:
    """Walk the chain in order; name the first record whose link or content does not hold.

    With the head, removing or rewriting the newest records (which breaks no later link) is found too.
    """
    expected_prev, expected_seq, count = GENESIS, 1, 0
    for entry in entries:
        count += 1
        problem = ""
        if entry.seq != expected_seq:
            problem = f"sequence {entry.seq} where {expected_seq} was expected (a record is missing)"
        elif entry.prev_hash != expected_prev:
            problem = "its link to the previous record does not match"
        elif chain_hash(entry.seq, entry.body, entry.prev_hash) != entry.hash:
            problem = "its content does not match its hash (altered)"
        elif (altered := _columns_differing_from_body(entry)):
            problem = f"{', '.join(altered)} differ from its hashed content (altered)"
        if problem:
            return Verification(False, count, entry.seq, entry.event_id, problem)
        expected_prev, expected_seq = entry.hash, entry.seq + 1
    if head is not None:
        return _against_head(head, count, expected_seq - 1, expected_prev)
    return Verification(True, count)


def _against_head(head: Head, count: int, last_seq: int, last_hash: str) -> Verification:
    if head.last_seq > last_seq:
        return Verification(False, count, last_seq + 1, None,
                            f"records {last_seq + 1}..{head.last_seq} are missing (the head says "
                            f"{head.last_seq} records were appended)")
    if head.last_seq < last_seq:
        return Verification(False, count, head.last_seq + 1, None,
                            f"records after {head.last_seq} were never appended through the head (inserted)")
    if head.last_hash != last_hash:
        return Verification(False, count, last_seq, None,
                            "its hash differs from the head's (the newest record was rewritten)")
    return Verification(True, count)


def _columns_differing_from_body(entry: AuditEntry) -> list[str]:
    """The searchable columns the hash does not cover must repeat what the hashed body says."""
    try:
        event = json.loads(entry.body)
    except ValueError:
        return ["body"]
    if not isinstance(event, dict):
        return ["body"]
    # written by ``append`` from the same body: every column but case_number as a string
    expected: dict[str, str | None] = {
        name: str(event.get(name)) for name in ("event_id", "event_type", "source", "occurred_at")}
    expected["case_number"] = event.get("case_number")
    return [name for name, value in expected.items() if getattr(entry, name) != value]
