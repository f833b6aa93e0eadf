"""Repeat a measure, keep its median and spread, and write the rows of bench/results.json.

A figure is measured ``REPEATS`` times in the same run as its baseline; the median is reported and
the spread (max − min over the repeats) says how noisy this shared 2-core machine was meanwhile.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPEATS = 3


@dataclass
class Figure:
    """One measured quantity: every repeat's value, in ``unit``."""

    unit: str
    values: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def spread(self) -> float:
        return max(self.values) - min(self.values)

    def text(self, digits: int = 0) -> str:
        return f"{self.median:,.{digits}f} ± {self.spread / 2:,.{digits}f} {self.unit}"


def repeat(measure: Callable[[], float], unit: str, times: int = REPEATS) -> Figure:
    """Run ``measure`` ``times`` times; each run returns one value in ``unit``."""
    return Figure(unit, [measure() for _ in range(times)])


@dataclass
class Row:
    """One row of the results table (and one key of results.json)."""

    key: str
    what: str
    figure: Figure
    baseline_what: str = ""
    baseline: Figure | None = None
    higher_is_better: bool = True
    target: str = ""
    met: bool | None = None
    note: str = ""
    #: figure and baseline measured in pairs, back to back: the ratio is the median of the pairs' own ratios,
    #: so that the host's speed, which moves from minute to minute, does not enter it
    paired: bool = False

    @property
    def ratio(self) -> float | None:
        """How many times better than the baseline (>1 is better, whichever way the unit points)."""
        if self.baseline is None or not self.baseline.median or not self.figure.median:
            return None
        if self.paired:
            pairs = zip(self.figure.values, self.baseline.values, strict=True)
            return statistics.median(_better(ours, theirs, self.higher_is_better) for ours, theirs in pairs)
        return _better(self.figure.median, self.baseline.median, self.higher_is_better)

    def as_json(self) -> dict[str, Any]:
        return {
            "what": self.what, "value": round(self.figure.median, 4), "unit": self.figure.unit,
            "spread": round(self.figure.spread, 4), "repeats": self.figure.values,
            "baseline": None if self.baseline is None else {
                "what": self.baseline_what, "value": round(self.baseline.median, 4), "unit": self.baseline.unit,
                "spread": round(self.baseline.spread, 4), "repeats": self.baseline.values},
            "paired": self.paired,
            "ratio": None if self.ratio is None else round(self.ratio, 3),
            "target": self.target, "met": self.met, "note": self.note,
        }


def _better(ours: float, theirs: float, higher_is_better: bool) -> float:
    return ours / theirs if higher_is_better else theirs / ours


def write_json(rows: list[Row], path: Path, machine: str, when: str) -> None:
    path.write_text(json.dumps({"machine": machine, "date": when, "rows": {r.key: r.as_json() for r in rows}},
                               ensure_ascii=False, indent=2) + "\n")


def table(rows: list[Row]) -> str:
    lines = ["| figure | median ± half-spread | baseline (same run) | ratio | target | met? |",
             "|---|---:|---:|---:|---|---|"]
    for row in rows:
        digits = 2 if row.figure.median < 100 else 0
        baseline = "—" if row.baseline is None else f"{row.baseline_what}: {row.baseline.text(digits)}"
        ratio = "—" if row.ratio is None else f"{row.ratio:,.1f}×"
        met = {True: "met", False: f"missed{': ' + row.note if row.note else ''}", None: row.note or "—"}[row.met]
        lines.append(f"| {row.what} | {row.figure.text(digits)} | {baseline} | {ratio} | {row.target or '—'} | "
                     f"{met} |")
    return "\n".join(lines)


__all__ = ["REPEATS", "Figure", "Row", "asdict", "repeat", "table", "write_json"]
