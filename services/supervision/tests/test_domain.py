"""The audit chain (电子监察): every event of a shop-sign case, chained by hash; tampering is found."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sunlight.calendar import SHANGHAI
from sunlight.contracts import (
    APPLICATION_ACCEPTED,
    CASE_APPROVED,
    CASE_OPENED,
    CERTIFICATE_ISSUED,
    TASK_COMPLETED,
    TASK_CREATED,
    new_event,
)
from supervision import domain
from supervision.domain import AuditEntry

CASE = "GS-2026-000001"
APPLICANT = {"name": "杭州拱墅区知味观餐饮有限公司", "mobile": "13957112345"}


def at(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def shop_sign_story() -> list[dict[str, Any]]:
    """The messages of one case, as they arrive on the broker."""
    events = [
        new_event(APPLICATION_ACCEPTED, CASE, {
            "application_number": CASE, "item_code": "GS-CG-0201", "item_name": "户外招牌设置审批",
            "tenant": "gs-city", "process": "handle-approve", "applicant": APPLICANT,
            "accepted_at": at(9, 25, 10), "promised_date": date(2026, 10, 9), "certificate_kind": "permit"},
            at(9, 25, 10)),
        new_event(CASE_OPENED, CASE, {"item_code": "GS-CG-0201", "tenant": "gs-city",
                                      "definition": "handle-approve", "definition_version": 1}, at(9, 25, 11)),
        new_event(TASK_CREATED, CASE, {"task_id": f"{CASE}.handle.1", "stage": "handle",
                                       "post": "gs-city/approval-section/reviewer", "due_at": at(9, 29, 17)},
                  at(9, 25, 11)),
        new_event(TASK_COMPLETED, CASE, {"task_id": f"{CASE}.handle.1", "stage": "handle",
                                         "post": "gs-city/approval-section/reviewer", "actor": "李娜",
                                         "decision": "approve", "opinion": "材料齐全，拟同意"}, at(9, 30, 16)),
        new_event(CASE_APPROVED, CASE, {"item_code": "GS-CG-0201", "item_name": "户外招牌设置审批",
                                        "tenant": "gs-city", "applicant": APPLICANT, "certificate_kind": "permit",
                                        "decided_at": at(10, 8, 10), "reason": "同意"}, at(10, 8, 10)),
        new_event(CERTIFICATE_ISSUED, CASE, {"certificate_number": "拱城管许字(2026)第000001号", "kind": "permit",
                                             "item_name": "户外招牌设置审批", "tenant": "gs-city", "holder": APPLICANT,
                                             "issued_at": at(10, 8, 10)}, at(10, 8, 10)),
    ]
    return [event.to_message() for event in events]


def chain(bodies: list[dict[str, Any]]) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    prev = domain.GENESIS
    for seq, body in enumerate(bodies, start=1):
        entry = domain.append(body, seq=seq, prev_hash=prev)
        entries.append(entry)
        prev = entry.hash
    return entries


def edit_body(entry: AuditEntry, change: dict[str, Any]) -> AuditEntry:
    """Rewrite part of a stored event, as someone with database access might."""
    event = json.loads(entry.body)
    event["payload"] = {**event["payload"], **change}
    return replace(entry, body=domain.canonical(event))


STORY = shop_sign_story()
ENTRIES = chain(STORY)


def test_an_untouched_chain_verifies() -> None:
    assert domain.verify(ENTRIES) == domain.Verification(ok=True, records=6)


def test_an_empty_log_verifies_with_no_records() -> None:
    assert domain.verify([]) == domain.Verification(ok=True, records=0)


def test_each_record_links_to_the_one_before_and_the_first_to_genesis() -> None:
    assert ENTRIES[0].prev_hash == "0" * 64
    for before, after in zip(ENTRIES, ENTRIES[1:], strict=False):
        assert after.prev_hash == before.hash
    assert len({entry.hash for entry in ENTRIES}) == 6


def test_a_record_keeps_the_searchable_facts_of_its_event() -> None:
    record = ENTRIES[4]
    assert (record.seq, record.event_type, record.source, record.case_number) == (5, "case.approved", "workflow", CASE)
    assert record.event_id == STORY[4]["event_id"]
    assert record.occurred_at == "2026-10-08T02:00:00+00:00"
    assert json.loads(record.body) == STORY[4]


def test_the_body_is_stored_readable_chinese_not_escaped() -> None:
    assert "户外招牌设置审批" in ENTRIES[0].body


def test_the_same_event_hashes_the_same_whatever_the_order_of_its_keys() -> None:
    body = dict(reversed(list(STORY[0].items())))
    body["payload"] = dict(reversed(list(body["payload"].items())))
    assert list(body) != list(STORY[0])
    assert domain.append(body, seq=1, prev_hash=domain.GENESIS).hash == ENTRIES[0].hash


def test_a_different_position_or_predecessor_gives_a_different_hash() -> None:
    assert domain.append(STORY[0], seq=2, prev_hash=domain.GENESIS).hash != ENTRIES[0].hash
    assert domain.append(STORY[0], seq=1, prev_hash=ENTRIES[1].hash).hash != ENTRIES[0].hash


def test_changing_the_opinion_in_a_record_is_found_at_that_record() -> None:
    tampered = list(ENTRIES)
    tampered[3] = edit_body(ENTRIES[3], {"opinion": "材料不全，不予同意"})
    result = domain.verify(tampered)
    assert (result.ok, result.first_broken_seq, result.records) == (False, 4, 4)
    assert result.first_broken_event_id == STORY[3]["event_id"]
    assert "altered" in result.reason


def test_changing_a_record_and_recomputing_its_hash_breaks_the_next_link() -> None:
    tampered = list(ENTRIES)
    forged = edit_body(ENTRIES[1], {"definition_version": 2})
    tampered[1] = replace(forged, hash=domain.chain_hash(forged.seq, forged.body, forged.prev_hash))
    result = domain.verify(tampered)
    assert (result.ok, result.first_broken_seq) == (False, 3)
    assert "link" in result.reason


def test_deleting_a_record_is_found_at_the_record_after_the_gap() -> None:
    result = domain.verify(ENTRIES[:2] + ENTRIES[3:])
    assert (result.ok, result.first_broken_seq, result.records) == (False, 4, 3)
    assert "missing" in result.reason


def test_deleting_the_first_record_is_found_at_once() -> None:
    result = domain.verify(ENTRIES[1:])
    assert (result.ok, result.first_broken_seq) == (False, 2)


def test_swapping_two_records_is_found_at_the_first_one_out_of_place() -> None:
    swapped = [ENTRIES[0], ENTRIES[2], ENTRIES[1], *ENTRIES[3:]]
    result = domain.verify(swapped)
    assert (result.ok, result.first_broken_seq) == (False, 3)


def test_renumbering_swapped_records_to_hide_the_swap_still_breaks_the_links() -> None:
    second, third = ENTRIES[1], ENTRIES[2]
    swapped = [ENTRIES[0], replace(third, seq=2), replace(second, seq=3), *ENTRIES[3:]]
    result = domain.verify(swapped)
    assert (result.ok, result.first_broken_seq) == (False, 2)


def test_moving_a_record_to_another_case_in_its_searchable_column_is_found() -> None:
    tampered = list(ENTRIES)
    tampered[4] = replace(ENTRIES[4], case_number="GS-2026-000002")
    result = domain.verify(tampered)
    assert (result.ok, result.first_broken_seq) == (False, 5)
    assert "case_number" in result.reason


def test_relabelling_an_event_type_or_its_time_in_the_columns_is_found() -> None:
    relabelled = list(ENTRIES)
    relabelled[4] = replace(ENTRIES[4], event_type="case.rejected")
    assert domain.verify(relabelled).first_broken_seq == 5
    backdated = list(ENTRIES)
    backdated[2] = replace(ENTRIES[2], occurred_at="2026-09-24T03:00:00+00:00")
    result = domain.verify(backdated)
    assert (result.first_broken_seq, "occurred_at" in result.reason) == (3, True)


def test_swapping_the_event_id_column_is_found() -> None:
    tampered = list(ENTRIES)
    tampered[0] = replace(ENTRIES[0], event_id=STORY[1]["event_id"])
    result = domain.verify(tampered)
    assert (result.ok, result.first_broken_seq) == (False, 1)
    assert "event_id" in result.reason


def test_only_the_first_broken_record_is_named_when_several_are_altered() -> None:
    tampered = list(ENTRIES)
    tampered[5] = edit_body(ENTRIES[5], {"certificate_number": "拱城管许字(2026)第999999号"})
    tampered[2] = edit_body(ENTRIES[2], {"post": "gs-city/leadership/leader"})
    assert domain.verify(tampered).first_broken_seq == 3


def head_of(entries: list[AuditEntry]) -> domain.Head:
    return domain.Head(entries[-1].seq, entries[-1].hash)


def test_a_chain_that_ends_where_its_head_says_verifies() -> None:
    assert domain.verify(ENTRIES, head_of(ENTRIES)) == domain.Verification(ok=True, records=6)
    assert domain.verify([], domain.Head(0, domain.GENESIS)).ok


def test_removing_the_newest_record_is_found_only_with_the_head() -> None:
    assert domain.verify(ENTRIES[:-1]).ok
    result = domain.verify(ENTRIES[:-1], head_of(ENTRIES))
    assert (result.ok, result.first_broken_seq) == (False, 6)
    assert "missing" in result.reason


def test_rewriting_the_newest_record_with_a_fresh_hash_is_found_only_with_the_head() -> None:
    forged = domain.append({**STORY[5], "case_number": "GS-2026-000009"}, seq=6, prev_hash=ENTRIES[4].hash)
    tampered = [*ENTRIES[:-1], forged]
    assert domain.verify(tampered).ok
    result = domain.verify(tampered, head_of(ENTRIES))
    assert (result.ok, result.first_broken_seq) == (False, 6)
    assert "rewritten" in result.reason


def test_a_record_appended_behind_the_heads_back_is_found() -> None:
    result = domain.verify(ENTRIES, head_of(ENTRIES[:5]))
    assert (result.ok, result.first_broken_seq) == (False, 6)
