"""How a results row compares a figure with its baseline (bench.figures)."""

from __future__ import annotations

from bench.figures import Figure, Row


def test_a_paired_ratio_is_the_median_of_the_pairs_so_the_hosts_speed_cancels() -> None:
    """Fast, slow and middling moments: two pairs show 10x, the third 8x; the medians alone would say 8x."""
    ours = Figure("transitions/s", [30_000.0, 10_000.0, 20_000.0])
    theirs = Figure("transitions/s", [3_000.0, 1_000.0, 2_500.0])  # each measured right after ours
    assert Row("r", "engine", ours, "other", theirs).ratio == 8.0  # 20,000 / 2,500
    assert Row("r", "engine", ours, "other", theirs, paired=True).ratio == 10.0


def test_a_paired_ratio_of_a_lower_is_better_figure_is_the_baseline_over_ours() -> None:
    latency = Figure("ms", [2.0, 4.0, 3.0])
    baseline = Figure("ms", [4.0, 8.0, 6.0])
    assert Row("r", "p99", latency, "static", baseline, higher_is_better=False, paired=True).ratio == 2.0
