"""Public status lookup (seed 001): the table a citizen sees, masked. The query code is proved with intake
before (service.py); an unknown number gets the words a wrong code gets."""

from __future__ import annotations

from typing import Any

import pytest
from siblings import sibling

from sunlight.errors import NotFound
from supervision.domain import clocks, status
from supervision.domain.lights import Thresholds

story = sibling("test_clocks")
at, CAL, CASE, REVIEW = story.at, story.CAL, story.CASE, story.REVIEW


def lookup(events: list[dict[str, Any]], now: Any, reasons: dict[str, str] | None = None) -> Any:
    return status.public_status(clocks.replay(CASE, events), CAL, Thresholds(), now, reasons or {})


def test_while_the_review_is_late_the_public_sees_the_delay_and_its_reason() -> None:
    seen = lookup(story.STORY[:5], at(2, 26, 14), {REVIEW: "等待规划部门意见"})
    assert seen == {
        "application_number": CASE, "item_name": "建设用地审批", "applicant": "杭********司",
        "received_at": at(2, 9, 10).isoformat(), "promised_date": "2026-03-20", "current_stage": "review",
        "outcome": "", "progress": [{"stage": "review", "done": False}],
        "stopped_periods": [{"reason": "宗地图缺失", "stopped_at": at(2, 11, 15).isoformat(),
                             "resumed_at": at(2, 25, 9).isoformat()}],
        "delayed": True, "delay_reason": "等待规划部门意见",
    }
    assert "139" not in str(seen)  # no phone number in any form


def test_while_returned_the_status_says_so_and_keeps_the_original_promise() -> None:
    seen = lookup(story.STORY[:4], at(2, 20, 10))
    assert (seen["current_stage"], seen["promised_date"], seen["delayed"]) == (
        "returned for correction", "2026-03-13", False)


def test_a_completed_case_shows_completed_and_not_delayed_though_a_stage_was_late() -> None:
    seen = lookup(story.STORY, at(3, 25, 9))
    assert (seen["current_stage"], seen["outcome"]) == ("completed", "approved")
    assert seen["delayed"] is True  # the late review stays on the record


def test_a_number_supervision_never_saw_accepted_gets_the_words_a_wrong_code_gets() -> None:
    with pytest.raises(NotFound) as unknown:
        lookup([], at(3, 25, 9))
    assert unknown.value.args[0] == status.NOT_FOUND


def test_names_are_masked() -> None:
    assert status.mask_name("张三") == "张*"
    assert status.mask_name("李") == "李"
