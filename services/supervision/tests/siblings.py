"""Supervision's unit tests share one story (test_clocks: a case across the Spring Festival); this loads a
sibling test module by path, since under pytest's importlib mode test modules are not importable by name."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any


def sibling(name: str) -> Any:
    """The test module ``name``.py next to this file, loaded under a name of its own."""
    spec = importlib.util.spec_from_file_location(f"supervision_{name}", Path(__file__).with_name(f"{name}.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
