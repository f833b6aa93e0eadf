"""What people do to a case besides deciding it: claim, hand on, return, stop and restart the clock, withdraw.

Pure functions like ``workflow.domain`` (the routing engine they build on): a case and a command in,
a ``Decision`` out; ``now`` and the calendar come in as arguments.
"""

from __future__ import annotations

from collections.abc import Container
from datetime import datetime

from sunlight.contracts import (
    CASE_RESUMED,
    CASE_RETURNED,
    CASE_SUSPENDED,
    CASE_WITHDRAWN,
    TASK_CLAIMED,
    TASK_DELEGATED,
    TASK_TRANSFERRED,
    new_event,
)
from sunlight.errors import Conflict, ValidationFailed
from workflow.domain import (
    CLOSED,
    AddedBranch,
    Case,
    Deadlines,
    Decision,
    Task,
    actionable_task,
    branches_of,
    cancel_open_tasks,
    enter_stage,
    evolve,
    live_task,
    move_task,
    open_task,
    post_of,
    put_task,
)
from workflow.process import PARALLEL, Branch, Definition

EXCLUDED_CAUSES = ("hearing", "testing", "expert-review", "public-notice")


def backup_post(definition: Definition, case: Case, task: Task) -> str:
    """The B post (AB岗) that stands in for a task's post: the stage's ``backup_role`` or ``<role>-b``."""
    stage = definition.stage(task.stage)
    base = task.delegated_from or task.post
    if stage.kind == "task" and stage.backup_role and base == post_of(case.tenant, stage):
        return f"{case.tenant}/{stage.department}/{stage.backup_role}"
    return f"{base}-b"



def claim(case: Case, *, task_id: str, post: str, actor: str, now: datetime) -> Decision:
    """A person holding the post takes the task, so colleagues on the same post leave it alone."""
    task = actionable_task(case, task_id, post, actor)
    if task.claimed_by == actor:
        return Decision(case, ())
    case = put_task(case, evolve(task, claimed_by=actor))
    return Decision(case, (new_event(TASK_CLAIMED, case.case_number, {
        "task_id": task_id, "stage": task.stage, "post": task.post, "actor": actor}, now),))


def transfer(case: Case, *, task_id: str, post: str, actor: str, to_post: str, reason: str,
             now: datetime) -> Decision:
    """Hand a task to another post (with a reason)."""
    task = actionable_task(case, task_id, post, actor)
    if not reason.strip():
        raise ValidationFailed(f"transferring task {task_id} needs a reason", {"reason": ["required"]})
    if to_post == task.post:
        raise ValidationFailed(f"task {task_id} is already with {to_post}", {"to_post": ["same post"]})
    return move_task(case, task, to_post, actor, reason, TASK_TRANSFERRED, now, delegated=False)


def delegate(definition: Definition, case: Case, *, task_id: str, actor: str, reason: str,
             now: datetime) -> Decision:
    """Give a task to its post's B backup (AB岗) while the A holder is away."""
    task = live_task(case, task_id)
    if task.delegated_from:
        raise Conflict(f"task {task_id} is already delegated to {task.post}", {"task_id": ["already delegated"]})
    return move_task(case, task, backup_post(definition, case, task), actor, reason, TASK_DELEGATED, now,
                 delegated=True)


def return_for_correction(case: Case, *, task_id: str, post: str, actor: str, missing: list[str],
                          reason: str, now: datetime) -> Decision:
    """补正: send the case back to the applicant; the clock stops until intake says it is corrected."""
    task = actionable_task(case, task_id, post, actor)
    problems: dict[str, list[str]] = {}
    if not [m for m in missing if m.strip()]:
        problems["missing"] = ["name at least one missing or wrong material"]
    if not reason.strip():
        problems["reason"] = ["required"]
    if problems:
        raise ValidationFailed(f"returning task {task_id} needs what is missing and why", problems)
    case = evolve(case, status="returned", paused_at=now)
    return Decision(case, (new_event(CASE_RETURNED, case.case_number, {
        "task_id": task_id, "stage": task.stage, "post": task.post, "actor": actor, "missing": missing,
        "reason": reason, "applicant": case.applicant}, now),))


def suspend(case: Case, *, task_id: str, post: str, actor: str, cause: str, reason: str,
            now: datetime) -> Decision:
    """Stop the clock for a step the law excludes (hearing, testing, expert review, public notice)."""
    task = actionable_task(case, task_id, post, actor)
    if cause not in EXCLUDED_CAUSES:
        raise ValidationFailed(f"{cause!r} does not stop the clock", {"cause": [f"one of {EXCLUDED_CAUSES}"]})
    case = evolve(case, status="suspended", paused_at=now)
    return Decision(case, (new_event(CASE_SUSPENDED, case.case_number, {
        "stage": task.stage, "actor": actor, "cause": cause, "reason": reason}, now),))


def resume(case: Case, *, actor: str, now: datetime, calendar: Deadlines, after: str) -> Decision:
    """Restart the clock at the stage the case left; every open task's due time moves by the pause."""
    if case.status != after or case.paused_at is None:
        raise Conflict(f"case {case.case_number} is {case.status}, not {after}", {"case_number": [case.status]})
    stopped = calendar.working_time_between(case.paused_at, now)
    tasks = tuple(evolve(t, due_at=calendar.add_working_hours(t.due_at, stopped)) if t.status == "open" else t
                  for t in case.tasks)
    case = evolve(case, status="open", paused_at=None, tasks=tasks,
                   stopped_seconds=case.stopped_seconds + stopped.total_seconds())
    return Decision(case, (new_event(CASE_RESUMED, case.case_number, {
        "stage": case.position, "actor": actor, "after": after,
        "stopped_working_seconds": stopped.total_seconds()}, now),))


def withdraw(case: Case, *, actor: str, reason: str, now: datetime) -> Decision:
    """The applicant withdraws: every open task is cancelled and the case closes."""
    if case.status in CLOSED:
        raise Conflict(f"case {case.case_number} is closed ({case.status})", {"case_number": [case.status]})
    stage = case.position
    case = evolve(cancel_open_tasks(case), status="withdrawn", closed_at=now, position="", paused_at=None)
    return Decision(case, (new_event(CASE_WITHDRAWN, case.case_number, {
        "actor": actor, "reason": reason, "stage": stage}, now),))


def add_co_reviewer(definition: Definition, case: Case, *, department: str, role: str, name: str,
                    actor: str, now: datetime, calendar: Deadlines,
                    absent: Container[str] = frozenset()) -> Decision:
    """Bring one more department into the parallel stage the case is at."""
    if case.status != "open":
        raise Conflict(f"case {case.case_number} is {case.status}", {"case_number": [case.status]})
    stage = definition.stage(case.position)
    if stage.kind not in PARALLEL:
        raise Conflict(f"stage {stage.key} of case {case.case_number} is not a parallel review",
                       {"stage": [stage.kind]})
    if department in {b.key for b in branches_of(stage, case)}:
        raise Conflict(f"{department} already reviews stage {stage.key}", {"department": ["already reviewing"]})
    added = AddedBranch(stage.key, department, name, department, role, actor)
    case = evolve(case, added=(*case.added, added))
    branch = Branch(added.key, name, department, role)
    return open_task(case, stage, branch, now, calendar, absent, (), added_by=actor)


def close_expired_meeting(definition: Definition, case: Case, *, now: datetime, calendar: Deadlines,
                          absent: Container[str] = frozenset()) -> Decision | None:
    """网上会办 is time-boxed: once its limit has passed with departments still silent, the meeting closes.

    Silence is not consent: the departments that did not answer are recorded as having given no
    opinion in time, and the case goes to the coordination stage, as it would on disagreement.
    None when the case is not at a meeting, or the time box has not run out.
    """
    if case.status != "open" or not case.position:
        return None
    stage = definition.stage(case.position)
    silent = [t for t in case.current_tasks if t.status == "open"]
    if stage.kind != "meeting" or not silent or max(t.due_at for t in silent) > now:
        return None
    expired = evolve(case, tasks=tuple(
        evolve(t, status="expired", opinion="时限内未发表意见", completed_at=now) if t in silent else t
        for t in case.tasks))
    target = stage.on_disagreement or stage.next
    return enter_stage(definition, expired, target, now, calendar, absent, ())


def record_urging(case: Case, *, target: str, urged_by: str, deadline: datetime) -> Decision:
    """督办 from supervision: mark the urged task (or every open task, for a whole case) in the inbox.

    Supervision already announced ``case.urged`` and keeps the clock; the case only remembers it so
    the post sees it at the top of its work. A task already done is not reopened.
    """
    until = deadline.isoformat()
    tasks = tuple(
        evolve(t, urged_by=urged_by, urged_until=until)
        if t.status == "open" and (t.task_id == target or target == "case") else t
        for t in case.tasks)
    return Decision(evolve(case, tasks=tasks), ())
