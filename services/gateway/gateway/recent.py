"""Public status answers, kept for a few seconds per (number, query code). Pure: no I/O, time is passed in.

A phone refreshing the status link, or a link shared in a family chat, asks the same thing many times
a second; the answer may be at most ``seconds`` old. Only an answer given after the query code matched
is kept, under that very code: another code for the same number never finds it and is checked afresh.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

Key = tuple[str, str]


class RecentAnswers:
    """At most ``size`` answers, each forgotten ``seconds`` after it was fetched; ``seconds <= 0`` keeps none."""

    def __init__(self, seconds: float, size: int = 10_000) -> None:
        self.seconds, self.size = seconds, size
        self._kept: OrderedDict[Key, tuple[float, dict[str, Any]]] = OrderedDict()

    def get(self, number: str, code: str, now: float) -> dict[str, Any] | None:
        kept = self._kept.get((number, code))
        if kept is None:
            return None
        if now - kept[0] >= self.seconds:
            del self._kept[(number, code)]
            return None
        return dict(kept[1])  # a copy: nobody downstream can change what the next caller sees

    def put(self, number: str, code: str, answer: dict[str, Any], fetched_at: float) -> None:
        """Keep an answer fetched (its RPCs sent) at ``fetched_at``: its age counts from then, not from now."""
        if self.seconds <= 0:
            return
        self._kept[(number, code)] = (fetched_at, dict(answer))
        self._kept.move_to_end((number, code))
        while len(self._kept) > self.size:  # the oldest first
            self._kept.popitem(last=False)
