"""Published results (政务公开, seed 004): which list each issued result belongs on, and what the public sees. Pure.

Feng county publishes approval results, land supply, land registrations and investigated violations. A
certificate or permit goes to *land supply* when its item is in the 土地供应 category, to *registrations*
when it is a title (不动产权证), and to *approvals* otherwise. Violations are the ones e-supervision found in
the bureau's own handling (a refusal without a filed reason, an unlisted fee, a skipped stage, a decision by
a post not assigned), published by case number and kind only: their evidence stays with the inspectors.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

LAND_SUPPLY_CATEGORY = "土地供应"
SECTIONS = {"approvals": "审批结果", "land_supply": "土地供应", "registrations": "土地登记", "violations": "违规查处"}
VIOLATION_NAMES = {"unassigned-post": "非指定岗位办理", "skipped-stage": "跳过办理环节",
                   "refusal-without-reason": "不予受理未报备理由", "unlisted-fee": "收取目录外费用"}


@dataclass(frozen=True)
class Result:
    """One published line: what was decided, for whom (masked), by which office, when."""

    number: str
    item_name: str
    holder: str
    tenant: str
    at: str  # ISO instant: issued, or raised


def section_of(certificate: Mapping[str, Any], categories: Mapping[str, str]) -> str:
    """Which list an issued certificate or permit belongs on."""
    if categories.get(str(certificate.get("item_code", ""))) == LAND_SUPPLY_CATEGORY:
        return "land_supply"
    return "registrations" if certificate.get("kind") == "title" else "approvals"


def published(certificates: Iterable[Mapping[str, Any]], items: Iterable[Mapping[str, Any]],
              violations: Iterable[Mapping[str, Any]]) -> dict[str, list[Result]]:
    """The four lists of the results page, newest first as given."""
    categories = {str(item["code"]): str(item.get("category", "")) for item in items}
    lists: dict[str, list[Result]] = {key: [] for key in SECTIONS}
    for cert in certificates:
        lists[section_of(cert, categories)].append(Result(
            str(cert["number"]), str(cert.get("item_name", "")), str(cert.get("holder_name", "")),
            str(cert.get("tenant", "")), str(cert.get("issued_at", ""))))
    for found in sorted(violations, key=lambda v: str(v.get("raised_at", "")), reverse=True):
        if found.get("withdrawn"):  # disproved by a late record: never a public accusation
            continue
        kind = str(found.get("kind", ""))
        lists["violations"].append(Result(str(found["case_number"]), VIOLATION_NAMES.get(kind, kind), "",
                                          str(found.get("tenant", "")), str(found.get("raised_at", ""))))
    return lists
