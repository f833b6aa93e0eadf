"""Test-only crash points: SIGKILL the process at a named moment of a unit of work, to prove recovery.

A fault test starts a service with ``SUNLIGHT_CRASH_AT=<point>:<event type>`` (e.g.
``after-commit:certificate.issued``); the first unit of work that emits that event type kills its own
process at that point, as a power cut would. The points:

- ``before-commit``: the rows are flushed to the database, the transaction is not committed;
- ``after-commit``: committed, the events not yet published from the outbox;
- ``after-publish``: the events published, not yet marked published in the outbox.

The environment is read once, when this module is imported at the start of the process: nothing
from outside (a message, a request) can arm it. Unset, a point costs one comparison with ``None``.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterable

POINTS = ("before-commit", "after-commit", "after-publish")


def _armed(setting: str | None) -> tuple[str, str] | None:
    if not setting:
        return None
    point, _, event_type = setting.partition(":")
    if point not in POINTS or not event_type:
        raise ValueError(f"SUNLIGHT_CRASH_AT={setting!r}: expected <point>:<event type>, point one of {POINTS}")
    return point, event_type


ARMED: tuple[str, str] | None = _armed(os.environ.get("SUNLIGHT_CRASH_AT"))


def reach(point: str, event_types: Iterable[str]) -> None:
    """Kill this process here if the armed point is ``point`` and one of ``event_types`` is the armed type."""
    if ARMED is None:
        return
    armed_point, armed_type = ARMED
    if point == armed_point and armed_type in event_types:
        os.kill(os.getpid(), signal.SIGKILL)
