"""The browser journey, run in its own process: Playwright's sync API cannot run under the eventlet
monkey-patching the test suite applies. ``python -m tests.integration.browser_journey <web url> <password>``
exits 0 when every step behaved, and prints the application number."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from tools.drive import sample_application

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "test-output" / "browser"


def upload(page: Any, code: str, text: str) -> None:
    page.set_input_files(f'input[name="material:{code}"]',
                         {"name": f"{code}.pdf", "mimeType": "application/pdf", "buffer": text.encode()})


def approve_from_inbox(browser: Any, web_url: str, password: str, user: str, number: str, shot: str) -> None:
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(f"{web_url}/staff/inbox")
    assert page.url.endswith("/staff/sign-in"), "the inbox must ask for sign-in first"
    page.fill('input[name="username"]', user)
    page.fill('input[name="password"]', password)
    page.click('button[type="submit"]')
    row = page.locator(f'tr[data-case="{number}"]')
    deadline = time.monotonic() + 30
    while row.count() == 0:  # the task reaches the post's inbox a moment after the previous step
        assert time.monotonic() < deadline, f"case {number} never reached {user}'s inbox"
        time.sleep(0.3)
        page.reload()
    page.screenshot(path=str(SHOTS / f"{shot}-inbox.png"), full_page=True)
    page.click(f'tr[data-case="{number}"] a')
    assert page.locator("#history").inner_text().count("办理中") >= 1
    page.screenshot(path=str(SHOTS / f"{shot}-case.png"), full_page=True)
    page.go_back()
    page.locator(f'tr[data-case="{number}"] button[value="approve"]').click()
    assert f"已办理 {number}" in page.inner_text("main")
    context.close()


def journey(browser: Any, web_url: str, password: str) -> str:
    applicant = sample_application(1, item_code="GS-CG-0201")["applicant"]
    page = browser.new_page(locale="zh-CN")
    page.goto(web_url)
    assert "户外招牌设置审批" in page.inner_text("table")
    page.screenshot(path=str(SHOTS / "01-catalogue.png"), full_page=True)
    page.click("text=户外招牌设置审批")
    assert "《浙江省城市市容和环境卫生管理条例》" in page.inner_text("main")

    page.fill('input[name="name"]', applicant["name"])
    page.select_option('select[name="kind"]', "person")
    page.fill('input[name="id_number"]', applicant["id_number"])
    page.fill('input[name="mobile"]', applicant["mobile"])
    upload(page, "application-form", "申请表")
    page.click('button[type="submit"]')
    missing = page.inner_text("#missing")
    assert "营业执照" in missing and "招牌设计效果图" in missing and "户外招牌设置申请表" not in missing
    page.screenshot(path=str(SHOTS / "02-told-what-is-missing.png"), full_page=True)

    assert page.input_value('input[name="name"]') == applicant["name"], "the form keeps what was typed"
    upload(page, "application-form", "申请表")
    upload(page, "business-licence", "营业执照")
    upload(page, "design-drawing", "效果图")
    page.click('button[type="submit"]')
    number, code = page.inner_text("#number"), page.inner_text("#code")
    assert re.fullmatch(r"\d{6}", code), code
    page.screenshot(path=str(SHOTS / "03-receipt.png"), full_page=True)

    # four departments in parallel (seed 002), each from its own inbox, then the leader
    for user in ("gs-cityscape", "gs-commerce", "gs-traffic", "gs-planning"):
        approve_from_inbox(browser, web_url, password, user, number, f"04-{user}")
    approve_from_inbox(browser, web_url, password, "gs-leader", number, "05-leader")

    page.goto(f"{web_url}/status?number={number}&code={code}")
    deadline = time.monotonic() + 30
    while "已办结" not in page.inner_text("#state") or page.locator("#certificate").count() == 0:
        assert time.monotonic() < deadline, page.inner_text("main")
        time.sleep(0.3)
        page.reload()
    page.screenshot(path=str(SHOTS / "06-completed.png"), full_page=True)
    assert "准予许可" in page.inner_text("#state") and "许字" in page.inner_text("#certificate")
    return str(number)


def main(web_url: str, password: str) -> None:
    import shutil

    shutil.rmtree(SHOTS, ignore_errors=True)  # every screenshot a reviewer sees is from this run
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            print(journey(chromium, web_url, password))
        finally:
            chromium.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
