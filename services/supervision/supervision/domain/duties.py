"""Who may urge a late case and who must say why it is late: the rules behind those two commands. Pure Python."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sunlight.calendar import WorkingCalendar
from sunlight.errors import Conflict, Forbidden, NotFound
from supervision.domain.clocks import COMPLAINT, HANDLING, CaseClock
from supervision.domain.lights import CASE_TARGET, Thresholds, is_overdue

SUPERVISING_ROLE = "supervisor"  # 督办岗: the last part of the post's path, e.g. hz-land/supervision/supervisor


@dataclass(frozen=True)
class Target:
    """A case or one of its stages, and the post answerable for it."""

    target: str
    stage: str
    post: str


def is_supervising_post(post: str) -> bool:
    """Whether the post is a supervising post (督办岗)."""
    return post.rsplit("/", 1)[-1] == SUPERVISING_ROLE


def canonical_target(clock: CaseClock, target: str) -> str:
    """A complaint urged or explained as a whole means its handling stage, where its lights are."""
    return HANDLING if clock.kind == COMPLAINT and target == CASE_TARGET else target


def find_target(clock: CaseClock, target: str) -> Target:
    """The case itself or one of its stages; NotFound for anything else."""
    target = canonical_target(clock, target)
    if not clock.known:
        raise NotFound(f"no accepted case {clock.case_number}", {"case_number": ["unknown"]})
    if target == CASE_TARGET:
        current = clock.stages[-1].post if clock.stages else ""
        return Target(CASE_TARGET, "", current)
    for stage in clock.stages:
        if stage.task_id == target:
            return Target(stage.task_id, stage.stage, stage.post)
    raise NotFound(f"case {clock.case_number} has no stage {target}", {"target": ["unknown"]})


def check_urge(clock: CaseClock, calendar: WorkingCalendar, limits: Thresholds, target: str,
               urged_by: str, now: datetime) -> Target:
    """A supervising post may urge an overdue case or stage that is not finished."""
    if not is_supervising_post(urged_by):
        raise Forbidden(f"{urged_by} is not a supervising post (督办岗)", {"urged_by": ["not a supervising post"]})
    found = find_target(clock, target)
    target = found.target
    if not is_overdue(clock, calendar, target, now, limits):
        raise Conflict(f"{clock.case_number} {target} is not overdue; nothing to urge", {"target": ["not overdue"]})
    if _finished(clock, target):
        raise Conflict(f"{clock.case_number} {target} is already finished", {"target": ["finished"]})
    return found


def check_delay_reason(clock: CaseClock, calendar: WorkingCalendar, limits: Thresholds, target: str,
                       post: str, now: datetime, already_given: bool) -> Target:
    """Only the post answerable for an overdue case or stage gives its delay reason, once."""
    found = find_target(clock, target)
    target = found.target
    if not is_overdue(clock, calendar, target, now, limits):
        raise Conflict(f"{clock.case_number} {target} is not delayed; no delay reason is taken",
                       {"target": ["not delayed"]})
    if post != found.post:
        raise Forbidden(f"{post} does not own {target}; {found.post} gives its delay reason", {"post": ["not owner"]})
    if already_given:
        raise Conflict(f"the delay reason of {clock.case_number} {target} is already on record",
                       {"target": ["delay reason already given"]})
    return found


def _finished(clock: CaseClock, target: str) -> bool:
    if target == CASE_TARGET:
        return clock.closed_at is not None
    return any(stage.task_id == target and stage.completed_at is not None for stage in clock.stages)
