"""Public status answers kept a few seconds: never older than that, never found under another query code."""

from __future__ import annotations

from gateway.recent import RecentAnswers

ANSWER = {"application_number": "GS-CG-2026-000001", "status": "open", "current_stage": "co-review"}


def test_an_answer_is_given_again_only_while_younger_than_the_limit() -> None:
    recent = RecentAnswers(seconds=2)
    recent.put("GS-CG-2026-000001", "482913", ANSWER, fetched_at=100.0)
    assert recent.get("GS-CG-2026-000001", "482913", now=101.9) == ANSWER
    assert recent.get("GS-CG-2026-000001", "482913", now=102.0) is None  # as old as the limit: fetched afresh


def test_another_query_code_for_the_same_number_never_finds_the_answer() -> None:
    recent = RecentAnswers(seconds=2)
    recent.put("GS-CG-2026-000001", "482913", ANSWER, fetched_at=100.0)
    assert recent.get("GS-CG-2026-000001", "000000", now=100.1) is None
    assert recent.get("GS-CG-2026-000002", "482913", now=100.1) is None


def test_a_caller_changing_its_copy_does_not_change_what_the_next_caller_sees() -> None:
    recent = RecentAnswers(seconds=2)
    recent.put("GS-CG-2026-000001", "482913", ANSWER, fetched_at=100.0)
    first = recent.get("GS-CG-2026-000001", "482913", now=100.1)
    assert first is not None
    first["status"] = "approved"
    assert recent.get("GS-CG-2026-000001", "482913", now=100.2) == ANSWER


def test_zero_seconds_keeps_nothing_and_the_size_bound_drops_the_oldest() -> None:
    off = RecentAnswers(seconds=0)
    off.put("GS-CG-2026-000001", "482913", ANSWER, fetched_at=100.0)
    assert off.get("GS-CG-2026-000001", "482913", now=100.0) is None
    small = RecentAnswers(seconds=2, size=2)
    for n in range(3):
        small.put(f"GS-CG-2026-00000{n}", "482913", ANSWER, fetched_at=100.0)
    assert small.get("GS-CG-2026-000000", "482913", now=100.1) is None
    assert small.get("GS-CG-2026-000002", "482913", now=100.1) == ANSWER
