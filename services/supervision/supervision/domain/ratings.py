"""每事一卡: the applicant rates a completed case once, on five levels; the two lowest are bad and open
a rectification with five working days to answer. Pure: no clock, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sunlight.calendar import WorkingCalendar
from sunlight.contracts import RATING_RECEIVED, Event, new_event
from sunlight.errors import Conflict, ValidationFailed
from supervision.domain.clocks import CaseClock

LEVELS = {1: "很不满意", 2: "不满意", 3: "基本满意", 4: "满意", 5: "非常满意"}
BAD = {1, 2}
RECTIFICATION_WORKING_DAYS = 5
MAX_COMMENT = 500
#: an unknown number and a wrong query code get these words, so a guess learns nothing (the service's refusal)
UNKNOWN = "no application with that number and query code"


@dataclass(frozen=True)
class Rating:
    case_number: str
    level: int
    comment: str
    rated_at: datetime
    rectification_due: datetime | None  # set for a bad rating


def rate(clock: CaseClock, *, level: Any, comment: str, now: datetime, calendar: WorkingCalendar,
         already_rated: bool) -> tuple[Rating, Event]:
    """The applicant's rating of their completed case, or a typed error naming why not.

    The applicant proved who they are with the receipt's query code before this (the service asks intake,
    which issued it: supervision keeps no query code). So a case supervision has not recorded yet is one
    whose acceptance is still on its way (rated just after submitting, or while supervision catches up
    after an outage): not completed yet, as far as anyone can rate it, and saying so reveals nothing the
    code did not.
    """
    problems: dict[str, list[str]] = {}
    if not isinstance(level, int) or isinstance(level, bool) or level not in LEVELS:
        problems["level"] = ["a whole number from 1 (很不满意) to 5 (非常满意)"]
    if len(comment) > MAX_COMMENT:
        problems["comment"] = [f"at most {MAX_COMMENT} characters"]
    if problems:
        raise ValidationFailed("invalid rating", problems)
    if not clock.known or clock.closed_at is None:
        raise Conflict(f"case {clock.case_number} is not completed yet; rate it once it is",
                       {"application_number": ["not completed"]})
    if already_rated:
        raise Conflict(f"case {clock.case_number} has already been rated", {"application_number": ["rated once"]})
    bad = level in BAD
    due = calendar.deadline(now, RECTIFICATION_WORKING_DAYS) if bad else None
    rating = Rating(clock.case_number, level, comment.strip(), now, due)
    event = new_event(RATING_RECEIVED, clock.case_number, {
        "level": level, "bad": bad, "tenant": clock.tenant, "item_code": clock.item_code,
        "comment": rating.comment, "rectification_due": due}, now)
    return rating, event
