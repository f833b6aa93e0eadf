"""Violations with their evidence: a decision by a post not assigned, a skipped stage, a refusal without reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sunlight.calendar import SHANGHAI
from sunlight.events import PAYLOAD_SCHEMAS
from supervision.domain.violations import (
    REFUSAL_WITHOUT_REASON,
    SKIPPED_STAGE,
    UNASSIGNED_POST,
    UNLISTED_FEE,
    Record,
    Violation,
    detect,
    may_change,
    tenant_of,
)

REVIEWER = "gs-city/approval-section/reviewer"
LEADER = "gs-city/approval-section/leader"
BACKUP = "gs-city/approval-section/reviewer-b"


def rec(seq: int, kind: str, **payload: Any) -> Record:
    return Record(seq, kind, datetime(2026, 11, 2, 9, seq, tzinfo=SHANGHAI), payload)


def created(seq: int, task: str, post: str) -> Record:
    return rec(seq, "task.created", task_id=task, stage=task, post=post)


def completed(seq: int, task: str, post: str) -> Record:
    return rec(seq, "task.completed", task_id=task, stage=task, post=post, actor="u1", decision="approve")


def test_a_clean_case_has_no_violation() -> None:
    assert detect([created(1, "review", REVIEWER), completed(2, "review", REVIEWER),
                   created(3, "approve", LEADER), completed(4, "approve", LEADER), rec(5, "case.approved")]) == []


def test_a_decision_by_a_post_not_assigned_names_the_assignment_and_the_decision() -> None:
    [found] = detect([created(1, "review", REVIEWER), completed(7, "review", LEADER)])
    assert (found.kind, found.target, found.evidence) == (UNASSIGNED_POST, "review", (1, 7))
    assert LEADER in found.detail and REVIEWER in found.detail


def test_a_task_delegated_to_the_backup_post_may_be_decided_there_and_only_there() -> None:
    moved = rec(2, "task.delegated", task_id="review", from_post=REVIEWER, to_post=BACKUP)
    assert detect([created(1, "review", REVIEWER), moved, completed(3, "review", BACKUP)]) == []
    [found] = detect([created(1, "review", REVIEWER), moved, completed(3, "review", REVIEWER)])
    assert found.evidence == (1, 2, 3)


def test_an_approval_with_a_stage_never_completed_is_a_skipped_stage() -> None:
    found = detect([created(1, "review", REVIEWER), completed(2, "review", REVIEWER),
                    created(3, "approve", LEADER), rec(4, "case.approved")])
    assert found == [Violation(SKIPPED_STAGE, "approve", (3, 4),
                               f"case approved while task approve at {LEADER} was not completed")]


def test_a_refusal_without_a_filed_reason_is_a_violation_and_one_with_a_reason_is_not() -> None:
    [found] = detect([rec(1, "application.refused", reason=" ", reason_text="")])
    assert (found.kind, found.evidence) == (REFUSAL_WITHOUT_REASON, (1,))
    assert detect([rec(1, "application.refused", reason="材料不齐", reason_text="缺少营业执照")]) == []


def test_detection_is_the_same_however_often_it_runs() -> None:
    records = [created(1, "review", REVIEWER), completed(2, "review", LEADER), rec(3, "case.approved")]
    assert detect(records) == detect(list(reversed(records)))


def test_the_tenant_comes_from_intake_or_else_from_the_post() -> None:
    assert tenant_of([created(1, "review", REVIEWER)]) == "gs-city"
    assert tenant_of([created(1, "review", REVIEWER), rec(2, "application.accepted", tenant="hz-land")]) == "hz-land"


FEES = [{"code": "registration-fee", "name": "不动产登记费（非住宅）", "amount_fen": 55000, "basis": "..."}]


def test_a_payment_of_a_listed_fee_at_its_amount_is_no_violation() -> None:
    records = [rec(1, "application.accepted", fees_due=FEES),
               rec(2, "payment.recorded", payment_id=1, fee_code="registration-fee", amount_fen=55000)]
    assert detect(records) == []


def test_a_fee_the_catalogue_did_not_list_or_at_another_amount_is_a_violation_with_its_evidence() -> None:
    records = [rec(1, "application.accepted", fees_due=FEES),
               rec(2, "payment.recorded", payment_id=1, fee_code="express-fee", amount_fen=2000),
               rec(3, "payment.recorded", payment_id=2, fee_code="registration-fee", amount_fen=60000)]
    found = detect(records)
    assert [(v.kind, v.target, v.evidence) for v in found] == [
        (UNLISTED_FEE, "payment.1", (2,)), (UNLISTED_FEE, "payment.2", (1, 3))]
    assert "express-fee" in found[0].detail and "60000" in found[1].detail


def arrived(seq: int, record: Record) -> Record:
    """``record`` as it is logged when it arrives ``seq``-th: a retried or redelivered event comes late."""
    return Record(seq, record.event_type, record.occurred_at, record.payload)


def test_events_arriving_out_of_order_find_the_same_violations_as_in_order() -> None:
    """A retry or a second replica can deliver a transfer before the task.created it follows, or a
    payment before its acceptance: the rules go by when each event happened, not when it arrived."""
    moved = rec(2, "task.delegated", task_id="review", from_post=REVIEWER, to_post=BACKUP)
    # delegated arrives first, created second: the decision at the backup post is still allowed
    assert detect([arrived(1, moved), arrived(2, created(1, "review", REVIEWER)), completed(3, "review", BACKUP)]) == []
    # a fee not listed is still found when the payment arrives before the acceptance
    paid = rec(2, "payment.recorded", payment_id=1, fee_code="express-fee", amount_fen=2000)
    found = detect([arrived(1, paid), arrived(2, rec(1, "application.accepted", fees_due=FEES))])
    assert [(v.kind, v.target, v.evidence) for v in found] == [(UNLISTED_FEE, "payment.1", (1,))]


def test_an_event_of_a_type_the_rules_do_not_read_changes_nothing_they_find() -> None:
    """Supervision skips detection for such an event (an SMS sent, a certificate, its own lights): prove it
    harmless for every event type there is, carrying the fields the rules read, wherever it falls in time."""
    stories = [
        [created(1, "review", REVIEWER), completed(2, "review", LEADER), created(3, "approve", LEADER),
         rec(5, "case.approved"), rec(6, "application.refused", reason="")],
        [rec(1, "application.accepted", fees_due=FEES), created(2, "review", REVIEWER),
         rec(4, "payment.recorded", payment_id=1, fee_code="express-fee", amount_fen=2000),
         rec(5, "task.delegated", task_id="review", from_post=REVIEWER, to_post=BACKUP), rec(7, "case.approved")],
    ]
    fields = {"task_id": "review", "post": LEADER, "to_post": LEADER, "reason": "",
              "fees_due": [{"code": "express-fee", "amount_fen": 2000}],
              "fee_code": "express-fee", "amount_fen": 1, "payment_id": 9, "tenant": "hz-land"}
    others = sorted(kind for kind in PAYLOAD_SCHEMAS if not may_change(kind))
    assert "sms.sent" in others and "certificate.issued" in others and "deadline.yellow" in others
    for records in stories:
        found = detect(records)
        for kind in others:
            for minute in (0, 3, 6, 59):
                other = Record(99, kind, datetime(2026, 11, 2, 9, minute, tzinfo=SHANGHAI), fields)
                assert detect([*records, other]) == found, (kind, minute)
