"""The README's process chart is what the shipped definition really is."""

from __future__ import annotations

import re
from pathlib import Path

from workflow.definitions import load_definitions
from workflow.process import mermaid

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_shows_the_shop_sign_process_as_it_ships() -> None:
    charts = re.findall(r"```mermaid\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    shipped = [d for (key, _), d in load_definitions().items() if key == "shop-sign-approval"]
    latest = max(shipped, key=lambda d: d.version)
    assert mermaid(latest).strip() in [chart.strip() for chart in charts]
