"""The test-only crash points: armed by the environment alone, and a bad setting refused at start."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sunlight import crashpoints


def test_a_crash_point_names_a_point_and_an_event_type() -> None:
    assert crashpoints._armed("after-commit:certificate.issued") == ("after-commit", "certificate.issued")  # noqa: SLF001
    assert crashpoints._armed(None) is None  # noqa: SLF001
    assert crashpoints._armed("") is None  # noqa: SLF001


@pytest.mark.parametrize("setting", ["after-commit", "mid-commit:certificate.issued", "before-commit:"])
def test_a_setting_that_names_no_known_point_and_event_is_refused_at_start(setting: str) -> None:
    with pytest.raises(ValueError, match="SUNLIGHT_CRASH_AT"):
        crashpoints._armed(setting)  # noqa: SLF001


def _reach_in_a_child(setting: str | None, point: str, event_types: list[str]) -> int:
    env = {k: v for k, v in os.environ.items() if k != "SUNLIGHT_CRASH_AT"}
    if setting is not None:
        env["SUNLIGHT_CRASH_AT"] = setting
    code = f"from sunlight import crashpoints; crashpoints.reach({point!r}, {event_types!r}); print('alive')"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=60).returncode


def test_the_armed_point_kills_the_process_only_for_its_event_type() -> None:
    assert _reach_in_a_child("after-commit:certificate.issued", "after-commit", ["certificate.issued"]) == -9
    assert _reach_in_a_child("after-commit:certificate.issued", "after-commit", ["payment.recorded"]) == 0
    assert _reach_in_a_child("after-commit:certificate.issued", "before-commit", ["certificate.issued"]) == 0
    assert _reach_in_a_child(None, "after-commit", ["certificate.issued"]) == 0
