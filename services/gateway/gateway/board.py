"""The supervision board (电子监察): who may watch and urge, which lights are live, and the chart bars. Pure.

A light is *live* while its target is open: a stage not yet completed, or a case not yet closed. The board
shows, per post and per department, how many open targets stand at each level (a target counts once, at its
highest light), and lists every open target at yellow or red with its delay reason and urging deadline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.domain import Denied, Principal, watched_tenant
from sunlight.tenants import department_name, tenant_name

LEVELS = ("prompt", "yellow", "red")
CASE_TARGET = "case"
CLOSED = "closed"


def may_watch_case(who: Principal, case_tenant: str) -> None:
    """A case's supervision record and audit trail: the watchers of its tenant (``domain.watched_tenant``)."""
    if watched_tenant(who, None) not in (None, case_tenant):
        raise Denied(f"the case is in tenant {case_tenant}, not {who.tenant}")


def department_of(post: str) -> str:
    """Posts are tenant/department/role; a case-wide light has no post."""
    parts = post.split("/")
    return parts[1] if len(parts) >= 3 else ""


@dataclass(frozen=True)
class LitTarget:
    """An open case or stage at its highest light, with what supervision knows of its delay."""

    case_number: str
    tenant: str
    item_code: str
    target: str
    stage: str
    post: str
    level: str
    due_at: str | None
    delay_reason: str | None
    urged_until: str | None


@dataclass
class Tally:
    """Open targets of one post or department, by their highest light."""

    key: str
    tenant: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))

    @property
    def level(self) -> str:
        """The worst light it shows: a post with one red target is a red post (seed 000)."""
        return next((level for level in reversed(LEVELS) if self.counts[level]), "none")


@dataclass(frozen=True)
class Board:
    posts: list[Tally]
    departments: list[Tally]
    overdue: list[LitTarget]


def live_targets(case: Mapping[str, Any]) -> list[LitTarget]:
    """The open targets of one case (as ``supervision.case_supervision`` gives it) at their highest light."""
    if case.get("state") == CLOSED:
        return []
    finished = {s["task_id"] for s in case.get("stages", []) if s.get("completed_at")}
    stages = {s["task_id"]: s for s in case.get("stages", [])}
    reasons = {r["target"]: r["reason"] for r in case.get("delay_reasons", [])}
    urged = {u["target"]: u["deadline"] for u in case.get("urgings", [])}
    highest: dict[str, Mapping[str, Any]] = {}
    # a red light falls due at the urging deadline; the board shows when the target itself was due
    due = {light["target"]: light.get("due_at") for light in case.get("lights", []) if light["level"] == "yellow"}
    for light in case.get("lights", []):
        target = light["target"]
        if target in finished or light["level"] not in LEVELS:
            continue
        known = highest.get(target)
        if known is None or LEVELS.index(light["level"]) > LEVELS.index(known["level"]):
            highest[target] = light
    return [LitTarget(
        case_number=str(case["case_number"]), tenant=str(case.get("tenant", "")),
        item_code=str(case.get("item_code", "")), target=target,
        stage=str(light.get("stage") or stages.get(target, {}).get("stage", "")),
        post=str(light.get("post") or stages.get(target, {}).get("post", "")), level=str(light["level"]),
        due_at=due.get(target, light.get("due_at")), delay_reason=reasons.get(target), urged_until=urged.get(target))
        for target, light in highest.items()]


def board(cases: Iterable[Mapping[str, Any]]) -> Board:
    """Lights per post and department, and the overdue list (red first, then the longest overdue)."""
    targets = [lit for case in cases for lit in live_targets(case)]
    posts: dict[str, Tally] = {}
    departments: dict[tuple[str, str], Tally] = {}
    for lit in targets:
        if lit.target == CASE_TARGET or not lit.post:
            continue  # a case-wide light is on the overdue list; the posts answer for their own stages
        posts.setdefault(lit.post, Tally(lit.post, lit.tenant)).counts[lit.level] += 1
        key = (lit.tenant, department_of(lit.post))
        departments.setdefault(key, Tally(key[1], lit.tenant)).counts[lit.level] += 1
    overdue = sorted((lit for lit in targets if lit.level != "prompt"),
                     key=lambda lit: (lit.level != "red", lit.due_at or "", lit.case_number))
    return Board(sorted(posts.values(), key=_worst_first), sorted(departments.values(), key=_worst_first), overdue)


def _worst_first(tally: Tally) -> tuple[int, str, str]:
    return (-LEVELS.index(tally.level) if tally.level in LEVELS else 1, tally.tenant, tally.key)


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its label, its value as shown, and its length as a share of the longest."""

    label: str
    value: float
    shown: str
    percent: int


def bars(values: Iterable[tuple[str, float | None]], *, scale: float | None = None, unit: str = "") -> list[Bar]:
    """Bars for a chart drawn with CSS widths; a value of None (no data) is left out."""
    known = [(label, float(value)) for label, value in values if value is not None]
    top = scale if scale is not None else max((value for _, value in known), default=0.0)
    return [Bar(label, value, f"{value:g}{unit}", round(100 * value / top) if top > 0 else 0)
            for label, value in known]


def charts(rows: Iterable[Mapping[str, Any]]) -> dict[str, list[Bar]]:
    """From ``supervision.statistics`` rows: hours per stage, on-time rate and rating per department."""
    rows = list(rows)
    stage_hours: dict[str, list[tuple[int, float]]] = {}
    for row in rows:
        if row["dimension"] != "tenant":
            continue
        for stage, timing in row["stages"].items():
            stage_hours.setdefault(stage, []).append((int(timing["count"]), float(timing["average_hours"])))
    departments = [row for row in rows if row["dimension"] == "department"]
    return {
        "stage_hours": bars(((stage, _weighted(timings)) for stage, timings in sorted(stage_hours.items())),
                            unit=" 小时"),
        "on_time": bars(((_department_label(row), None if row["on_time_rate"] is None
                          else round(100 * float(row["on_time_rate"]), 1)) for row in departments),
                        scale=100.0, unit=" %"),
        "ratings": bars(((_department_label(row), row["ratings"]["average"]) for row in departments),
                        scale=5.0, unit=" 分"),
    }


def _department_label(row: Mapping[str, Any]) -> str:
    """杭州市拱墅区城市管理局 · 审批科: a department is named within its tenant."""
    return f"{tenant_name(row['tenant'])} · {department_name(row['tenant'], row['key'])}"


def _weighted(timings: list[tuple[int, float]]) -> float | None:
    count = sum(n for n, _ in timings)
    return round(sum(n * hours for n, hours in timings) / count, 2) if count else None
