"""Published results (seed 004): each issued result on its list; violations by case and kind only."""

from __future__ import annotations

from gateway import publication

ITEMS = [{"code": "YZ-GY-0101", "category": "土地供应"}, {"code": "HZ-DJ-0101", "category": "不动产登记"},
         {"code": "GS-CG-0201", "category": "市容管理"}]


def certificate(number: str, item_code: str, kind: str, issued_at: str) -> dict[str, str]:
    return {"number": number, "item_code": item_code, "kind": kind, "item_name": item_code, "holder_name": "杭*",
            "tenant": "hz-land", "issued_at": issued_at}


def test_land_supply_registrations_and_approvals_each_get_their_own_list() -> None:
    lists = publication.published([
        certificate("苏(2026)扬州市不动产权第0000001号", "YZ-GY-0101", "title", "2026-11-03T02:00:00+00:00"),
        certificate("浙(2026)杭州市不动产权第0000001号", "HZ-DJ-0101", "title", "2026-11-02T02:00:00+00:00"),
        certificate("拱城管(招牌)许字(2026)第000001号", "GS-CG-0201", "permit", "2026-11-01T02:00:00+00:00"),
    ], ITEMS, [])
    assert [r.number for r in lists["land_supply"]] == ["苏(2026)扬州市不动产权第0000001号"]
    assert [r.number for r in lists["registrations"]] == ["浙(2026)杭州市不动产权第0000001号"]
    assert [r.number for r in lists["approvals"]] == ["拱城管(招牌)许字(2026)第000001号"]
    assert lists["violations"] == []


def test_violations_are_published_newest_first_by_case_and_kind_without_their_evidence() -> None:
    lists = publication.published([], ITEMS, [
        {"case_number": "GS-2026-000001", "kind": "unlisted-fee", "tenant": "gs-city", "evidence": [3, 9],
         "detail": "收取 证书工本费 20.00 元", "raised_at": "2026-11-01T02:00:00+00:00"},
        {"case_number": "GS-2026-000002", "kind": "refusal-without-reason", "tenant": "gs-city", "evidence": [12],
         "detail": "", "raised_at": "2026-11-02T02:00:00+00:00"},
    ])
    assert [(r.number, r.item_name) for r in lists["violations"]] == [
        ("GS-2026-000002", "不予受理未报备理由"), ("GS-2026-000001", "收取目录外费用")]
    assert all("工本费" not in str(r) for r in lists["violations"])


def test_a_withdrawn_violation_is_not_published() -> None:
    """Disproved by a record delivered late: publishing it would be a false public accusation."""
    lists = publication.published([], ITEMS, [
        {"case_number": "GS-2026-000003", "kind": "skipped-stage", "tenant": "gs-city", "evidence": [4, 9],
         "detail": "", "raised_at": "2026-11-03T02:00:00+00:00", "withdrawn": True,
         "withdrawn_at": "2026-11-03T02:00:05+00:00", "withdrawal_evidence": [11]},
        {"case_number": "GS-2026-000004", "kind": "skipped-stage", "tenant": "gs-city", "evidence": [5, 8],
         "detail": "", "raised_at": "2026-11-03T03:00:00+00:00", "withdrawn": False},
    ])
    assert [r.number for r in lists["violations"]] == ["GS-2026-000004"]
