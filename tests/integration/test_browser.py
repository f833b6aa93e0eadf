"""The journeys in a real browser (Debian's Chromium, headless, driven by Playwright): an applicant is
told everything missing, resubmits and gets a receipt; staff sign in and approve from their inboxes;
the applicant sees the case completed. Screenshots of each page go to test-output/browser/.

The browser runs in its own process (tests/integration/browser_journey.py): Playwright's sync API
hangs under the eventlet monkey-patching of this test process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tools.stack import ALL_SERVICES, ROOT, Stack, running_stack

pytestmark = pytest.mark.integration
CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "a-demo-password-for-browsers"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: apt-get install -y --no-install-recommends chromium (.ci/run does)")
    with running_stack(tmp_path_factory.mktemp("stack-browser"), services=ALL_SERVICES) as running:
        subprocess.run([sys.executable, "-m", "gateway.admin", "demo", "--password", PASSWORD],
                       env=running.env_for("gateway"), check=True, capture_output=True)
        yield running


def test_apply_be_told_what_is_missing_resubmit_get_approved_and_see_it_completed(stack: Stack) -> None:
    run = subprocess.run([sys.executable, "-m", "tests.integration.browser_journey", stack.web_url, PASSWORD],
                         cwd=ROOT, env=stack.env_for("gateway"), capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stdout + run.stderr[-4000:]
    number = run.stdout.strip().splitlines()[-1]
    for shot in ("01-catalogue", "02-told-what-is-missing", "03-receipt", "04-gs-cityscape-inbox",
                 "04-gs-planning-case", "05-leader-case", "06-completed"):
        assert (ROOT / "test-output" / "browser" / f"{shot}.png").stat().st_size > 0
    assert number
