"""The journeys in a real browser (Debian's Chromium, headless, driven by Playwright): an applicant is
told everything missing, resubmits and gets a receipt; staff sign in and approve from their inboxes;
the applicant sees the case completed and rates it; the supervisor sees a late stage yellow, urges it,
and sees it red once the urging deadline has passed; a citizen complains through the form; hostile free
text is shown as text everywhere. Screenshots of each page go to test-output/browser/.

The browser runs in its own process (tests/integration/browser_journey.py): Playwright's sync API
hangs under the eventlet monkey-patching of this test process."""

from __future__ import annotations

import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import create_engine, update

from supervision.models import UrgingRow
from tests.integration.support import hostile, portal, publish_raw
from tests.integration.test_supervision_lights import REVIEWER, at, envelope, lights_of
from tools.drive import drive_one, sample_application, wait_for
from tools.stack import ROOT, Stack

pytestmark = pytest.mark.integration
CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "a-demo-password-for-browsers"
SHOTS = ROOT / "test-output" / "browser"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: apt-get install -y --no-install-recommends chromium (.ci/run does)")
    shutil.rmtree(SHOTS, ignore_errors=True)  # every screenshot a reviewer sees is from this run
    # the board reloads itself every 2 s here, so the test sees a light change without touching the page
    with portal(tmp_path_factory.mktemp("stack-browser"), PASSWORD, BOARD_REFRESH_SECONDS="2") as running:
        yield running


def browse(stack: Stack, journey: str, *args: str) -> str:
    """Run one journey in Chromium; its last line of output is what it reports."""
    run = subprocess.run([sys.executable, "-m", "tests.integration.browser_journey", journey, stack.web_url,
                          PASSWORD, *args], cwd=ROOT, env=stack.env_for("gateway"), capture_output=True, text=True,
                         timeout=240)
    assert run.returncode == 0, run.stdout + run.stderr[-4000:]
    return run.stdout.strip().splitlines()[-1]


def shots_exist(*names: str) -> None:
    for name in names:
        assert (SHOTS / f"{name}.png").stat().st_size > 0, name


def open_late_stage(stack: Stack, rpc: Any, applicant_name: str) -> tuple[str, str]:
    """A shop-sign case whose review stage was due on 4 November 2026: yellow the moment it arrives."""
    case = f"GS-2026-8{uuid.uuid4().int % 100000:05d}"
    task = f"{case}.review.1"
    publish_raw(stack, "intake", "application.accepted", envelope("application.accepted", case, "intake", at(2, 9), {
        "application_number": case, "item_code": "GS-CG-0201", "item_name": "户外招牌设置审批", "tenant": "gs-city",
        "process": "handle-approve", "applicant": {"name": applicant_name, "mobile": "13957112345"},
        "accepted_at": at(2, 9), "promised_date": "2026-12-31", "certificate_kind": "permit"}))
    publish_raw(stack, "workflow", "task.created", envelope("task.created", case, "workflow", at(2, 9), {
        "task_id": task, "stage": "review", "post": REVIEWER, "due_at": at(4, 17)}))
    wait_for(lambda: (task, "yellow") in lights_of(rpc, case) or None, timeout=30, what="the yellow light")
    return case, task


def let_the_urging_deadline_pass(stack: Stack, case: str) -> None:
    """Advance the clock for one case: its urging deadline is now a minute ago, and the tick is told so."""
    past = datetime.now(UTC) - timedelta(minutes=1)
    engine = create_engine(stack.db_uris["supervision"])
    try:
        with engine.begin() as connection:
            moved = connection.execute(update(UrgingRow).where(UrgingRow.case_number == case).values(deadline=past))
            assert moved.rowcount == 1, "the supervisor's urging was not recorded"
    finally:
        engine.dispose()
    with redis.Redis.from_url("redis://127.0.0.1:6379/0") as client:  # supervision's index of due lights
        client.zadd(f"{stack.redis_prefix}:supervision:deadlines", {case: past.timestamp()})


def test_apply_be_told_what_is_missing_resubmit_get_approved_see_it_completed_and_rate_it(stack: Stack) -> None:
    number = browse(stack, "apply")
    assert number
    shots_exist("01-catalogue", "02-told-what-is-missing", "03-receipt", "04-gs-cityscape-inbox",
                "04-gs-planning-case", "05-leader-case", "06-completed", "07-rating-card", "08-rated")


def test_the_supervisor_urges_a_late_stage_and_sees_the_post_red_once_the_urging_deadline_passed(
        stack: Stack, rpc: Any) -> None:
    case, task = open_late_stage(stack, rpc, "杭州拱墅区知味观餐饮有限公司")
    browse(stack, "urge", case, task)
    assert rpc.supervision.case_supervision(case)["urgings"][0]["urged_by"].endswith("/supervisor")
    let_the_urging_deadline_pass(stack, case)
    browse(stack, "red", task)
    assert (task, "red") in lights_of(rpc, case)
    shots_exist("10-board-yellow", "11-urged", "12-board-red", "13-statistics", "14-chain", "15-inspector-board")


def test_a_complaint_is_filed_through_the_form_and_its_status_looked_up(stack: Stack, rpc: Any) -> None:
    number = browse(stack, "complain")
    [filed] = [c for c in rpc.supervision.complaints({"tenant": "gs-city"}) if c["number"] == number]
    assert filed["subject"] == "窗口办事排队时间长" and filed["complainant"]["mobile"] == "139****2345"
    shots_exist("20-results", "21-complaint-told-what-is-wrong", "22-complaint-filed", "23-complaint-status")


def test_user_text_with_scripts_and_quotes_is_shown_escaped_on_every_page_that_shows_it(
        stack: Stack, rpc: Any) -> None:
    application = sample_application(7, batch=uuid.uuid4().hex)
    application["applicant"]["name"] = hostile("applicant")
    done = drive_one(rpc, application)
    code = done.receipt["query_code"]
    wait_for(lambda: rpc.supervision.public_status(done.number, code)["current_stage"] == "completed" or None,
             timeout=30, what="supervision to see the case completed")
    late, task = open_late_stage(stack, rpc, hostile("applicant"))
    rpc.supervision.enter_delay_reason({"case_number": late, "target": task, "post": REVIEWER,
                                        "reason": hostile("reason")})
    assert browse(stack, "escaped", done.number, code, late) == "escaped"
    shots_exist("30-escaped-supervised", "30-escaped-late", "30-escaped-board", "30-escaped-complaint")
