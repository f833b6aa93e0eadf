"""Violations (违规) found in a case's audit records, each with the records that prove it. Pure Python.

- ``unassigned-post``: a task completed by a post other than the one it was assigned to (the post of its
  ``task.created``, or the post it was later transferred or delegated to).
- ``skipped-stage``: the case was approved while a stage created before the approval was not completed by then.
- ``refusal-without-reason``: an application refused (不予受理) with no filed reason.
- ``unlisted-fee``: a payment recorded for a fee the catalogue did not list for the case at acceptance,
  or for another amount (no fee may be charged that is not listed).

``detect`` is a function of the records alone, so running it again on every event finds the same violations;
the caller keeps each (kind, target) once. It reads the records in the order the events happened
(``occurred_at``), not the order they reached the audit log. A violation raised before a late-delivered event
arrived may no longer be found once it has (a co-review's ``task.completed`` held in a retry queue while the
``case.approved`` after it came through): ``withdrawals`` names those, with the late records that disproved them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

UNASSIGNED_POST = "unassigned-post"
SKIPPED_STAGE = "skipped-stage"
REFUSAL_WITHOUT_REASON = "refusal-without-reason"
UNLISTED_FEE = "unlisted-fee"
KINDS = (UNASSIGNED_POST, SKIPPED_STAGE, REFUSAL_WITHOUT_REASON, UNLISTED_FEE)
MOVED = {"task.transferred", "task.delegated"}
#: the event types the rules read: only these can disprove a violation (not supervision's own lights)
RULE_EVENTS = {"task.created", "task.completed", "application.refused", "application.accepted", "payment.recorded",
               "case.approved", *MOVED}


@dataclass(frozen=True)
class Record:
    """What the rules need of one audit record."""

    seq: int
    event_type: str
    occurred_at: datetime
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class Violation:
    kind: str
    target: str  # a task id, or the event type for a case-wide violation
    evidence: tuple[int, ...]  # audit log seq numbers
    detail: str


@dataclass(frozen=True)
class Withdrawal:
    """A violation raised earlier that the records no longer show, and the records that disproved it."""

    kind: str
    target: str
    evidence: tuple[int, ...]  # audit log seq numbers of the records that disproved it
    detail: str


def detect(records: Iterable[Record]) -> list[Violation]:
    """Every violation the records show, in the order of their last piece of evidence."""
    found: list[Violation] = []
    assigned: dict[str, tuple[str, list[int], datetime]] = {}  # task id → post, seqs that assigned it, created at
    completed: dict[str, datetime] = {}  # task id → when it was completed
    listed: dict[str, tuple[int, int]] | None = None  # fee code → (amount in fen, seq of the acceptance)
    # by when each event happened, not when it arrived: a retried or redelivered event is logged late
    # (a transfer before its task.created, a payment before its acceptance); arrival breaks ties
    ordered = sorted(records, key=lambda r: (r.occurred_at, r.seq))
    for record in ordered:
        payload = record.payload
        task = str(payload.get("task_id", ""))
        if record.event_type == "task.created":
            assigned[task] = (str(payload.get("post", "")), [record.seq], record.occurred_at)
        elif record.event_type in MOVED and task in assigned:
            _, seqs, created = assigned[task]
            assigned[task] = (str(payload.get("to_post", "")), [*seqs, record.seq], created)
        elif record.event_type == "task.completed":
            completed.setdefault(task, record.occurred_at)
            post = str(payload.get("post", ""))
            if task in assigned and assigned[task][0] != post:
                found.append(Violation(UNASSIGNED_POST, task, (*assigned[task][1], record.seq),
                                       f"task {task} assigned to {assigned[task][0]} was decided by {post} "
                                       f"({payload.get('actor', '')})"))
        elif record.event_type == "application.refused" and not _filed_reason(payload):
            found.append(Violation(REFUSAL_WITHOUT_REASON, "application.refused", (record.seq,),
                                   "application refused without a filed reason"))
        elif record.event_type == "application.accepted":
            listed = {str(f.get("code")): (int(f.get("amount_fen", -1)), record.seq)
                      for f in payload.get("fees_due") or [] if isinstance(f, Mapping)}
        elif record.event_type == "payment.recorded" and listed is not None:
            code, amount = str(payload.get("fee_code", "")), int(payload.get("amount_fen", -1))
            if code not in listed or listed[code][0] != amount:
                evidence = (listed[code][1], record.seq) if code in listed else (record.seq,)
                found.append(Violation(UNLISTED_FEE, f"payment.{payload.get('payment_id', record.seq)}", evidence,
                                       f"{amount} fen charged as {code!r}, which the catalogue did not list "
                                       f"for this case at that amount"))
    for record in ordered:
        if record.event_type != "case.approved":
            continue
        for task, (post, seqs, created) in assigned.items():
            # a completion after the approval does not undo the skip: only one that happened before it does
            done_at = completed.get(task)
            if created <= record.occurred_at and (done_at is None or done_at > record.occurred_at):
                found.append(Violation(SKIPPED_STAGE, task, (seqs[0], record.seq),
                                       f"case approved while task {task} at {post} was not completed"))
        break
    return found


def may_change(event_type: str) -> bool:
    """Whether a record of this type can change what ``detect`` finds, and so raise or withdraw a violation.

    ``detect`` reads records of the rules' event types only: with one of another type added, it finds the
    same violations as before (a caller that kept what it found then has nothing to raise or withdraw).
    """
    return event_type in RULE_EVENTS


def withdrawals(records: Sequence[Record], raised: Iterable[Violation],
                shown: Iterable[Violation] | None = None) -> list[Withdrawal]:
    """The ``raised`` violations ``detect`` no longer finds in ``records``, each with what disproved it.

    What disproved one is the records of the rules' event types that reached the audit log after its last
    piece of evidence but happened before it (late deliveries); failing those, the rule record that came
    last after it. A violation found again later is a new violation, raised again. ``shown`` is
    ``detect(records)`` when the caller has it already.
    """
    still = {(v.kind, v.target) for v in (detect(records) if shown is None else shown)}
    by_seq = {record.seq: record for record in records}
    rule_records = sorted((r for r in records if r.event_type in RULE_EVENTS), key=lambda r: r.seq)
    gone = []
    for violation in raised:
        if (violation.kind, violation.target) in still:
            continue
        last = max(violation.evidence)
        proven_at = by_seq[last].occurred_at if last in by_seq else None
        late = tuple(r.seq for r in rule_records
                     if r.seq > last and proven_at is not None and r.occurred_at <= proven_at)
        newest = tuple(r.seq for r in rule_records[-1:] if r.seq > last)
        evidence = late or newest or (last,)
        gone.append(Withdrawal(violation.kind, violation.target, evidence,
                               f"withdrawn: records delivered late show no {violation.kind} at {violation.target}"))
    return gone


def _filed_reason(payload: Mapping[str, Any]) -> bool:
    return bool(str(payload.get("reason") or "").strip() or str(payload.get("reason_text") or "").strip())


def tenant_of(records: Iterable[Record]) -> str:
    """The case's tenant: named by intake's events, else the first part of a post (tenant/department/role)."""
    posts = []
    for record in records:
        if record.payload.get("tenant"):
            return str(record.payload["tenant"])
        posts.append(str(record.payload.get("post") or ""))
    return next((post.split("/")[0] for post in posts if post.count("/") >= 2), "")
