"""Statistics and quarterly assessment (绩效考核) per post, department, item and tenant. Pure Python.

Everything is computed from the clock summaries (``summarize``: one per case or complaint, kept in
supervision's database as each event arrives, so no call replays the audit log), the lights raised and the
ratings given, over a period of dates in office time. Cases and complaints (信访) are counted apart: each row
has a ``kind``, and a complaint's one stage is its handling by the petition office.

- **cases handled**: for a tenant or item, cases closed in the period; for a post or department, distinct
  cases in which it completed a stage in the period.
- **handling time per stage**, in working hours: the office time each stage's clock ran (stops excluded),
  average and 90th percentile (nearest rank) over stages completed in the period.
- **on-time rate**: for a post or department, the share of its completed stages finished by their stage
  deadline; for a tenant or item, the share of closed cases closed by the case deadline.
- **lights** raised in the period, by level, on the post's / department's stages or the tenant's / item's cases.
- **ratings** (每事一卡) given in the period: count and average level; a case's rating counts for the tenant, the
  item and every post and department that completed a stage of it.

**Assessment grade** (the rule, for a quarter's figures of a post or department):
优秀 on-time ≥ 95 %, no red light, average rating ≥ 4.5 (or none given); 良好 on-time ≥ 90 % and average ≥ 4.0;
合格 on-time ≥ 80 % and average ≥ 3.0; otherwise 不合格. Nothing handled in the period: 无数据.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from sunlight.calendar import WorkingCalendar
from supervision.domain.clocks import CaseClock, case_deadline, stage_deadline, stage_working_time

DIMENSIONS = ("post", "department", "item", "tenant")
GRADED = ("post", "department")
NO_DATA = "无数据"


@dataclass(frozen=True)
class StageSummary:
    """One stage as statistics need it: who owned it, its deadline, when done and the office time it ran."""

    task_id: str
    stage: str
    post: str
    deadline: datetime | None
    completed_at: datetime | None = None
    working_hours: float | None = None  # once completed


@dataclass(frozen=True)
class CaseSummary:
    """One case or complaint as statistics need it: what, whose, its deadline, when closed, and its stages."""

    case_number: str
    kind: str
    tenant: str
    item_code: str
    known: bool  # the acceptance that starts the clock has arrived
    deadline: datetime | None
    closed_at: datetime | None
    stages: tuple[StageSummary, ...] = ()


def summarize(clock: CaseClock, calendar: WorkingCalendar) -> CaseSummary:
    """The summary of a clock as its events stand (what the summary tables keep)."""
    stages = tuple(StageSummary(
        s.task_id, s.stage, s.post, stage_deadline(s, clock.stops, calendar), s.completed_at,
        None if s.completed_at is None
        else stage_working_time(s, clock.stops, calendar, s.completed_at).total_seconds() / 3600)
        for s in clock.stages)
    return CaseSummary(clock.case_number, clock.kind, clock.tenant, clock.item_code, clock.known,
                       case_deadline(clock, calendar), clock.closed_at, stages)


@dataclass(frozen=True)
class LightFact:
    case_number: str
    post: str
    level: str
    raised_at: datetime


@dataclass(frozen=True)
class RatingFact:
    case_number: str
    level: int
    rated_at: datetime


@dataclass(frozen=True)
class Period:
    """Dates (Asia/Shanghai), both ends included; None is open."""

    start: date | None = None
    end: date | None = None

    def holds(self, instant: datetime, calendar: WorkingCalendar) -> bool:
        if self.start is None and self.end is None:
            return True
        day = instant.astimezone(calendar.tz).date()
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


def quarter(label: str) -> Period:
    """``2026Q4`` → 1 October to 31 December 2026."""
    year, q = int(label[:4]), int(label[-1])
    if label[4:5].upper() != "Q" or not 1 <= q <= 4:
        raise ValueError(f"not a quarter: {label!r} (expected e.g. 2026Q4)")
    first = date(year, 3 * q - 2, 1)
    last = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return Period(first, date.fromordinal(last.toordinal() - 1))


def department_of(post: str) -> str:
    """A post is tenant/department/role."""
    parts = post.split("/")
    return parts[1] if len(parts) >= 3 else ""


def percentile90(values: list[float]) -> float:
    """Nearest-rank 90th percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


@dataclass
class _Group:
    kind: str
    dimension: str
    key: str
    tenant: str
    cases: set[str] = field(default_factory=set)
    hours: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    on_time: int = 0
    judged: int = 0
    lights: dict[str, int] = field(default_factory=lambda: {"prompt": 0, "yellow": 0, "red": 0})
    ratings: list[int] = field(default_factory=list)


def grade(on_time_rate: float | None, rating_average: float | None, red_lights: int) -> str:
    """The assessment rule in the module docstring."""
    if on_time_rate is None:
        return NO_DATA
    rating = 5.0 if rating_average is None else rating_average
    if on_time_rate >= 0.95 and red_lights == 0 and rating >= 4.5:
        return "优秀"
    if on_time_rate >= 0.90 and rating >= 4.0:
        return "良好"
    if on_time_rate >= 0.80 and rating >= 3.0:
        return "合格"
    return "不合格"


def compute(summaries: Iterable[CaseSummary], light_facts: Iterable[LightFact], rating_facts: Iterable[RatingFact],
            calendar: WorkingCalendar, period: Period = Period(), tenant: str | None = None) -> list[dict[str, object]]:
    """One row per (kind, dimension, key): the figures in the module docstring, sorted by dimension then key."""
    groups: dict[tuple[str, str, str, str], _Group] = {}

    def group(of: CaseSummary, dimension: str, key: str) -> _Group:
        found = groups.get((of.kind, dimension, of.tenant, key))
        if found is None:
            found = groups[(of.kind, dimension, of.tenant, key)] = _Group(of.kind, dimension, key, of.tenant)
        return found

    by_case: dict[str, CaseSummary] = {}
    handlers: dict[str, set[str]] = defaultdict(set)  # case → posts that completed a stage of it
    for case in summaries:
        if not case.known or (tenant and case.tenant != tenant):
            continue
        by_case[case.case_number] = case
        for stage in case.stages:
            if stage.completed_at is None:
                continue
            handlers[case.case_number].add(stage.post)
            if not period.holds(stage.completed_at, calendar):
                continue
            hours = stage.working_hours or 0.0
            for dimension, key in (("post", stage.post), ("department", department_of(stage.post))):
                g = group(case, dimension, key)
                g.cases.add(case.case_number)
                g.hours[stage.stage].append(hours)
                g.judged += 1
                g.on_time += int(stage.deadline is None or stage.completed_at <= stage.deadline)
            for dimension, key in (("item", case.item_code), ("tenant", case.tenant)):
                group(case, dimension, key).hours[stage.stage].append(hours)
        if case.closed_at is not None and period.holds(case.closed_at, calendar):
            for dimension, key in (("item", case.item_code), ("tenant", case.tenant)):
                g = group(case, dimension, key)
                g.cases.add(case.case_number)
                g.judged += 1
                g.on_time += int(case.deadline is None or case.closed_at <= case.deadline)

    for light in light_facts:
        lit = by_case.get(light.case_number)
        if lit is None or not period.holds(light.raised_at, calendar):
            continue
        targets = [("item", lit.item_code), ("tenant", lit.tenant)]
        if light.post:
            targets += [("post", light.post), ("department", department_of(light.post))]
        for dimension, key in targets:
            group(lit, dimension, key).lights[light.level] += 1

    for rating in rating_facts:
        rated = by_case.get(rating.case_number)
        if rated is None or not period.holds(rating.rated_at, calendar):
            continue
        targets = [("item", rated.item_code), ("tenant", rated.tenant)]
        for post in handlers[rating.case_number]:
            targets += [("post", post), ("department", department_of(post))]
        for dimension, key in set(targets):
            group(rated, dimension, key).ratings.append(rating.level)

    rows = [_row(g) for g in groups.values()]
    return sorted(rows, key=lambda r: (str(r["kind"]), DIMENSIONS.index(str(r["dimension"])), str(r["tenant"]),
                                       str(r["key"])))


def _row(g: _Group) -> dict[str, object]:
    on_time_rate = round(g.on_time / g.judged, 4) if g.judged else None
    average = round(sum(g.ratings) / len(g.ratings), 2) if g.ratings else None
    row: dict[str, object] = {
        "kind": g.kind, "dimension": g.dimension, "key": g.key, "tenant": g.tenant, "cases_handled": len(g.cases),
        "stages": {stage: {"count": len(values), "average_hours": round(sum(values) / len(values), 2),
                           "p90_hours": round(percentile90(values), 2)} for stage, values in sorted(g.hours.items())},
        "on_time_rate": on_time_rate, "lights": dict(g.lights),
        "ratings": {"count": len(g.ratings), "average": average},
    }
    if g.dimension in GRADED:
        row["grade"] = grade(on_time_rate, average, g.lights["red"])
    return row


CSV_HEADERS = ["维度", "对象", "租户", "办件数", "环节", "环节办件数", "平均办理时长(工作小时)",
               "90分位办理时长(工作小时)", "按时办结率", "提醒", "黄牌", "红牌", "评价数", "平均评价", "考核等次",
               "类别"]
KIND_LABELS = {"case": "办件", "complaint": "信访"}


def to_csv(rows: Iterable[Mapping[str, object]]) -> str:
    """One line per (row, stage); a row with no stage timings still has one line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for row in rows:
        stages: Mapping[str, Mapping[str, object]] = row["stages"] or {"": {}}  # type: ignore[assignment]
        lights: Mapping[str, int] = row["lights"]  # type: ignore[assignment]
        ratings: Mapping[str, object] = row["ratings"]  # type: ignore[assignment]
        for stage, timing in stages.items():
            writer.writerow([row["dimension"], row["key"], row["tenant"], row["cases_handled"], stage,
                             timing.get("count", ""), timing.get("average_hours", ""), timing.get("p90_hours", ""),
                             "" if row["on_time_rate"] is None else row["on_time_rate"], lights["prompt"],
                             lights["yellow"], lights["red"], ratings["count"],
                             "" if ratings["average"] is None else ratings["average"], row.get("grade", ""),
                             KIND_LABELS.get(str(row["kind"]), str(row["kind"]))])
    return out.getvalue()
