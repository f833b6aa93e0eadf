"""The public status of one application, folded from events: what the applicant sees, in one local read.

Pure: no I/O, no clock. ``fold`` takes one event into the view; ``answer`` gives the applicant's answer,
or None when the view cannot answer alone (an event not arrived yet, data older than the read model, a
code that does not match its digest) and the gateway must ask intake and workflow as before.

Events arrive late, out of order and twice. The view converges all the same: the case's status is the
one of its latest event by ``occurred_at`` (a closing status -- approved, rejected, withdrawn -- is
final), its stage the one of its latest ``task.created``; facts that never change (the acceptance, the
certificate number) are simply written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sunlight.events import (
    APPLICATION_ACCEPTED,
    CASE_APPROVED,
    CASE_OPENED,
    CASE_REJECTED,
    CASE_RESUMED,
    CASE_RETURNED,
    CASE_SUSPENDED,
    CASE_WITHDRAWN,
    CERTIFICATE_ISSUED,
    TASK_CREATED,
)
from sunlight.querycodes import code_matches

#: the case status each workflow event leaves, and its rank when two share an instant (a close wins)
STATUS_OF: dict[str, tuple[str, int]] = {
    CASE_OPENED: ("open", 0),
    CASE_RETURNED: ("returned", 1),
    CASE_SUSPENDED: ("suspended", 1),
    CASE_RESUMED: ("open", 1),
    CASE_APPROVED: ("approved", 2),
    CASE_REJECTED: ("rejected", 2),
    CASE_WITHDRAWN: ("withdrawn", 2),
}
CLOSED = ("approved", "rejected", "withdrawn")
#: the status of an application intake accepted whose case workflow has not opened yet (intake's event is
#: on its way, a moment after the receipt): received, being routed to the departments
RECEIVED = "accepted"
#: the rank of a status already held ('open' ranks as a resumption: the later of two at one instant)
RANK_HELD: dict[str, int] = {"open": 1, "returned": 1, "suspended": 1}
#: every event type the view is folded from
FOLDED: tuple[str, ...] = (APPLICATION_ACCEPTED, TASK_CREATED, CERTIFICATE_ISSUED, *STATUS_OF)


@dataclass(frozen=True)
class StatusView:
    """One application as the public status page shows it; empty fields are not known yet."""

    application_number: str
    item_name: str = ""
    received_at: datetime | None = None
    promised_date: date | None = None
    code_digest: str = ""
    status: str = ""
    status_at: datetime | None = None
    stage: str = ""
    stage_at: datetime | None = None
    certificate_number: str = ""


def fold(view: StatusView, event_type: str, payload: Mapping[str, Any], occurred_at: datetime) -> StatusView:
    """The view after one event; an event it already holds, or an older one, leaves it as it is."""
    if event_type == APPLICATION_ACCEPTED:
        return replace(view, item_name=str(payload["item_name"]), received_at=payload["accepted_at"],
                       promised_date=payload["promised_date"],
                       code_digest=str(payload.get("query_code_digest") or ""))
    if event_type == CERTIFICATE_ISSUED:
        return replace(view, certificate_number=str(payload["certificate_number"]))
    if event_type == TASK_CREATED:
        if view.stage_at is not None and occurred_at < view.stage_at:
            return view
        return replace(view, stage=str(payload["stage"]), stage_at=occurred_at)
    if event_type in STATUS_OF:
        return _new_status(view, *STATUS_OF[event_type], occurred_at)
    return view


def _new_status(view: StatusView, status: str, rank: int, occurred_at: datetime) -> StatusView:
    if view.status in CLOSED:
        return view  # a closed case never reopens: a late 'returned' or 'resumed' is history
    if view.status_at is not None and (occurred_at, rank) <= (view.status_at, RANK_HELD.get(view.status, -1)):
        return view
    return replace(view, status=status, status_at=occurred_at)



def answer(view: StatusView, query_code: str, key: bytes) -> dict[str, Any] | None:
    """The applicant's answer when the view holds all of it and the code matches its digest, else None."""
    if not (view.item_name and view.status and view.received_at and view.promised_date):
        return None
    if view.status == "open" and not view.stage:
        return None  # case.opened folded before its first task.created (another queue): not the whole answer yet
    if not code_matches(key, view.application_number, query_code, view.code_digest):
        return None  # unknown code, no digest, or another key: the RPC path decides, with its own 404
    return _shown(view.application_number, view.item_name, view.received_at.isoformat(),
                  view.promised_date.isoformat(), view.status, view.stage, view.certificate_number)


def from_lookups(receipt: Mapping[str, Any], case: Mapping[str, Any] | None,
                 certificate_number: str | None) -> dict[str, Any]:
    """The applicant's answer from intake's receipt (its code already matched) and workflow's case, or
    ``None`` for a case workflow has not opened yet: that is an application received, not an unknown one."""
    if case is None:
        status, stage = RECEIVED, None
    else:
        status = str(case["status"])
        stage = next((t["stage"] for t in case["tasks"] if t["status"] == "open"), None)
    return _shown(receipt["application_number"], receipt["item_name"], receipt["accepted_at"],
                  receipt["promised_date"], status, stage, certificate_number)


def _shown(number: str, item_name: str, received_at: str, promised_date: str, status: str,
           stage: str | None, certificate_number: str | None) -> dict[str, Any]:
    """The one shape of the applicant's answer, whichever way it was found: no stage once the case is
    closed, a certificate only for an approved one."""
    return {"application_number": number, "item_name": item_name, "received_at": received_at,
            "promised_date": promised_date, "status": status,
            "current_stage": None if status in CLOSED or not stage else stage,
            "certificate_number": (certificate_number or None) if status == "approved" else None}
