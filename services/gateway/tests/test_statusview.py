"""The public status folded from events: the same answer whatever order the events come in, and how often."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from gateway.statusview import RECEIVED, StatusView, answer, fold, from_lookups
from sunlight.querycodes import code_digest

KEY = b"shared by intake and gateway"
NUMBER = "GS-CG-2026-000001"
CODE = "482913"
T0 = datetime(2026, 9, 21, 1, 0, tzinfo=UTC)

Step = tuple[str, dict[str, Any], datetime]

ACCEPTED: Step = ("application.accepted", {
    "item_name": "户外招牌设置", "accepted_at": T0, "promised_date": date(2026, 9, 28),
    "query_code_digest": code_digest(KEY, NUMBER, CODE)}, T0)
OPENED: Step = ("case.opened", {}, T0 + timedelta(seconds=1))
REVIEW: Step = ("task.created", {"stage": "co-review"}, T0 + timedelta(seconds=1))
RETURNED: Step = ("case.returned", {}, T0 + timedelta(hours=2))
RESUMED: Step = ("case.resumed", {}, T0 + timedelta(hours=5))
SIGN: Step = ("task.created", {"stage": "sign"}, T0 + timedelta(hours=6))
APPROVED: Step = ("case.approved", {}, T0 + timedelta(hours=7))
CERTIFICATE: Step = ("certificate.issued", {"certificate_number": "招牌-2026-0001"}, T0 + timedelta(hours=8))


def folded(steps: Iterable[Step]) -> StatusView:
    view = StatusView(NUMBER)
    for event_type, payload, occurred_at in steps:
        view = fold(view, event_type, payload, occurred_at)
    return view


def test_a_shop_sign_application_under_co_review_is_answered_from_its_events() -> None:
    assert answer(folded([ACCEPTED, OPENED, REVIEW]), CODE, KEY) == {
        "application_number": NUMBER, "item_name": "户外招牌设置", "received_at": "2026-09-21T01:00:00+00:00",
        "promised_date": "2026-09-28", "status": "open", "current_stage": "co-review", "certificate_number": None}


def test_an_approved_case_shows_its_certificate_and_no_stage() -> None:
    shown = answer(folded([ACCEPTED, OPENED, REVIEW, SIGN, APPROVED, CERTIFICATE]), CODE, KEY)
    assert shown is not None
    assert (shown["status"], shown["current_stage"]) == ("approved", None)
    assert shown["certificate_number"] == "招牌-2026-0001"


def test_every_order_and_every_repeat_of_the_events_gives_the_same_answer() -> None:
    story = [ACCEPTED, OPENED, REVIEW, RETURNED, RESUMED, SIGN, APPROVED, CERTIFICATE]
    truth = answer(folded(story), CODE, KEY)
    for order in itertools.islice(itertools.permutations(story), 0, None, 97):  # ~400 of the 40,320 orders
        assert answer(folded([*order, *order[:3]]), CODE, KEY) == truth


def test_a_case_returned_for_correction_shows_returned_until_resumed_whatever_arrives_late() -> None:
    assert answer(folded([ACCEPTED, REVIEW, RETURNED, OPENED]), CODE, KEY)["status"] == "returned"  # type: ignore[index]
    assert answer(folded([ACCEPTED, RESUMED, REVIEW, RETURNED, OPENED]), CODE, KEY)["status"] == "open"  # type: ignore[index]


def test_a_closed_case_never_reopens_on_a_late_event() -> None:
    late_resume: Step = ("case.resumed", {}, APPROVED[2] + timedelta(hours=1))
    late_task: Step = ("task.created", {"stage": "sign"}, APPROVED[2] + timedelta(hours=1))
    shown = answer(folded([ACCEPTED, OPENED, APPROVED, late_resume, late_task]), CODE, KEY)
    assert shown is not None
    assert (shown["status"], shown["current_stage"]) == ("approved", None)


def test_a_certificate_before_the_approval_is_not_shown_until_the_case_is_approved() -> None:
    shown = answer(folded([ACCEPTED, OPENED, REVIEW, CERTIFICATE]), CODE, KEY)
    assert shown is not None
    assert (shown["status"], shown["certificate_number"]) == ("open", None)


def test_what_the_view_cannot_answer_alone_is_left_to_intake_and_workflow() -> None:
    assert answer(folded([OPENED, REVIEW]), CODE, KEY) is None  # the acceptance has not arrived
    assert answer(folded([ACCEPTED]), CODE, KEY) is None  # the case is not opened yet
    assert answer(folded([ACCEPTED, OPENED]), CODE, KEY) is None  # opened, its first task not folded yet
    older: Step = (ACCEPTED[0], {**ACCEPTED[1], "query_code_digest": None}, T0)  # accepted before digests
    assert answer(folded([older, OPENED, REVIEW]), CODE, KEY) is None


def test_a_wrong_code_another_key_or_no_key_never_answers() -> None:
    view = folded([ACCEPTED, OPENED, REVIEW])
    assert answer(view, "482914", KEY) is None
    assert answer(view, CODE, b"another key") is None
    assert answer(view, CODE, b"") is None
    assert answer(StatusView("GS-CG-2026-000002", **{k: v for k, v in vars(view).items()
                                                     if k != "application_number"}), CODE, KEY) is None


RECEIPT = {"application_number": NUMBER, "item_name": "户外招牌设置", "accepted_at": T0.isoformat(),
           "promised_date": "2026-09-28", "query_code": CODE}


def test_a_receipt_whose_case_is_not_opened_yet_is_received_not_unknown() -> None:
    # asked right after submitting: intake has the receipt (the code matched), workflow has not heard yet
    assert from_lookups(RECEIPT, None, None) == {
        "application_number": NUMBER, "item_name": "户外招牌设置", "received_at": T0.isoformat(),
        "promised_date": "2026-09-28", "status": RECEIVED, "current_stage": None, "certificate_number": None}


def test_the_lookups_answer_as_the_read_model_does() -> None:
    tasks = [{"stage": "co-review", "status": "done"}, {"stage": "approve", "status": "open"}]
    under_way = from_lookups(RECEIPT, {"status": "open", "tasks": tasks}, None)
    assert (under_way["status"], under_way["current_stage"]) == ("open", "approve")
    done = from_lookups(RECEIPT, {"status": "approved", "tasks": []}, "招牌-2026-0001")
    assert answer(folded([ACCEPTED, OPENED, REVIEW, APPROVED, CERTIFICATE]), CODE, KEY) == done
    assert from_lookups(RECEIPT, {"status": "rejected", "tasks": []}, "招牌-2026-0001")["certificate_number"] is None
