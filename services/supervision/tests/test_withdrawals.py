"""A violation raised too early is withdrawn when a late-delivered event shows it was not one.

A co-review's ``task.completed`` can wait in a retry queue while the ``case.approved`` that followed it
reaches supervision first: the case then looks approved with a stage skipped. When the completion arrives
and shows it happened before the approval, the accusation is withdrawn, with that completion as evidence.
"""

from __future__ import annotations

from siblings import sibling

from supervision.domain.violations import SKIPPED_STAGE, UNASSIGNED_POST, Record, Withdrawal, detect, withdrawals

checks = sibling("test_violations")
rec, created, completed, arrived = checks.rec, checks.created, checks.completed, checks.arrived
REVIEWER, LEADER, BACKUP = checks.REVIEWER, checks.LEADER, checks.BACKUP
FIRE, PARKS = "gs-city/fire-brigade/reviewer", "gs-city/parks-bureau/reviewer"


def co_review_approved_before_the_parks_completion_arrived() -> list[Record]:
    """Two departments review in parallel; parks' completion (08 past) is delivered after the approval (10)."""
    return [created(1, "fire", FIRE), created(2, "parks", PARKS), completed(3, "fire", FIRE),
            arrived(4, created(5, "approve", LEADER)), arrived(5, completed(6, "approve", LEADER)),
            arrived(6, rec(10, "case.approved"))]


def test_an_approval_seen_before_a_co_review_completion_looks_like_a_skipped_stage() -> None:
    [found] = detect(co_review_approved_before_the_parks_completion_arrived())
    assert (found.kind, found.target, found.evidence) == (SKIPPED_STAGE, "parks", (2, 6))


def test_the_late_completion_withdraws_it_with_that_completion_as_evidence() -> None:
    early = co_review_approved_before_the_parks_completion_arrived()
    raised = detect(early)
    late = [*early, arrived(7, completed(8, "parks", PARKS))]
    assert detect(late) == []
    [withdrawn] = withdrawals(late, raised)
    assert isinstance(withdrawn, Withdrawal)
    assert (withdrawn.kind, withdrawn.target, withdrawn.evidence) == (SKIPPED_STAGE, "parks", (7,))
    assert "parks" in withdrawn.detail


def test_a_stage_completed_only_after_the_approval_stays_a_skipped_stage() -> None:
    early = co_review_approved_before_the_parks_completion_arrived()
    raised = detect(early)
    after_approval = [*early, arrived(7, completed(11, "parks", PARKS))]
    assert [(v.kind, v.target) for v in detect(after_approval)] == [(SKIPPED_STAGE, "parks")]
    assert withdrawals(after_approval, raised) == []


def test_a_decision_by_another_post_is_withdrawn_when_the_delegation_before_it_arrives() -> None:
    early = [created(1, "review", REVIEWER), completed(3, "review", BACKUP)]
    raised = detect(early)
    assert [(v.kind, v.evidence) for v in raised] == [(UNASSIGNED_POST, (1, 3))]
    delegated = arrived(4, rec(2, "task.delegated", task_id="review", from_post=REVIEWER, to_post=BACKUP))
    assert [(w.kind, w.target, w.evidence) for w in withdrawals([*early, delegated], raised)] == [
        (UNASSIGNED_POST, "review", (4,))]


def test_a_violation_still_shown_is_not_withdrawn_and_nothing_raised_is_nothing_withdrawn() -> None:
    records = [created(1, "review", REVIEWER), completed(2, "review", LEADER)]
    assert withdrawals([*records, rec(3, "deadline.yellow")], detect(records)) == []
    assert withdrawals(records, []) == []
