"""Who may urge and who must give a delay reason: typed errors for everyone else (pure, fixed clock)."""

from __future__ import annotations

from typing import Any

import pytest
from siblings import sibling

from sunlight.errors import Conflict, Forbidden, NotFound
from supervision.domain import clocks, duties
from supervision.domain.lights import Thresholds

story = sibling("test_clocks")
at, CAL, REVIEW = story.at, story.CAL, story.REVIEW
OPEN_REVIEW = clocks.replay(story.CASE, story.STORY[:5])  # resumed, review still open
LATE = at(2, 26, 14)  # review overdue since 11:30
SUPERVISOR = "hz-land/supervision-office/supervisor"
REVIEWER = "hz-land/use-division/reviewer"


def test_the_supervising_post_urges_an_overdue_stage() -> None:
    target = duties.check_urge(OPEN_REVIEW, CAL, Thresholds(), REVIEW, SUPERVISOR, LATE)
    assert (target.stage, target.post) == ("review", REVIEWER)


@pytest.mark.parametrize(("target", "urged_by", "now", "error"), [
    (REVIEW, REVIEWER, LATE, Forbidden),  # not a supervising post
    (REVIEW, SUPERVISOR, at(2, 26, 11), Conflict),  # not yet overdue
    ("case", SUPERVISOR, LATE, Conflict),  # the case as a whole is on time
    ("no-such-task", SUPERVISOR, LATE, NotFound),
])
def test_urging_is_refused_with_a_typed_error(target: str, urged_by: str, now: Any, error: type) -> None:
    with pytest.raises(error):
        duties.check_urge(OPEN_REVIEW, CAL, Thresholds(), target, urged_by, now)


def test_a_finished_stage_cannot_be_urged() -> None:
    done = clocks.replay(story.CASE, story.STORY)
    with pytest.raises(Conflict, match="finished"):
        duties.check_urge(done, CAL, Thresholds(), REVIEW, SUPERVISOR, LATE)


def test_the_stage_post_gives_the_delay_reason_once() -> None:
    assert duties.check_delay_reason(OPEN_REVIEW, CAL, Thresholds(), REVIEW, REVIEWER, LATE, False).target == REVIEW
    with pytest.raises(Conflict, match="already"):
        duties.check_delay_reason(OPEN_REVIEW, CAL, Thresholds(), REVIEW, REVIEWER, LATE, True)
    with pytest.raises(Forbidden):
        duties.check_delay_reason(OPEN_REVIEW, CAL, Thresholds(), REVIEW, "hz-land/x/clerk", LATE, False)


def test_a_delay_reason_on_a_case_not_delayed_is_refused() -> None:
    with pytest.raises(Conflict, match="not delayed"):
        duties.check_delay_reason(OPEN_REVIEW, CAL, Thresholds(), "case", REVIEWER, LATE, False)
    with pytest.raises(NotFound):
        duties.check_delay_reason(clocks.CaseClock("X"), CAL, Thresholds(), "case", REVIEWER, LATE, False)
