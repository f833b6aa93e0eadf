"""The browser journeys, run in their own process: Playwright's sync API cannot run under the eventlet
monkey-patching the test suite applies. ``python -m tests.integration.browser_journey <journey> <web url>
<password> [arguments]`` exits 0 when every step behaved and prints what the test needs on its last line.

Journeys: ``apply`` (to completed and rated; prints the application number), ``urge`` and ``red`` (the
supervisor's board before and after the clock is advanced), ``complain`` (a complaint through the form and
its status; prints its number), ``escaped`` (hostile free text shown as text on every page showing it)."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from tests.integration.support import hostile
from tools.drive import sample_application

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "test-output" / "browser"


def upload(page: Any, code: str, text: str) -> None:
    page.set_input_files(f'input[name="material:{code}"]',
                         {"name": f"{code}.pdf", "mimeType": "application/pdf", "buffer": text.encode()})


def shoot(page: Any, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def signed_in(browser: Any, web_url: str, password: str, user: str, start: str = "/staff/inbox") -> Any:
    """A fresh browser context of ``user``, signed in through the form the protected page sends them to."""
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(f"{web_url}{start}")
    assert page.url.endswith("/staff/sign-in"), f"{start} must ask for sign-in first"
    page.fill('input[name="username"]', user)
    page.fill('input[name="password"]', password)
    page.click('button[type="submit"]')
    if start != "/staff/inbox":
        page.goto(f"{web_url}{start}")
    return page


def approve_from_inbox(browser: Any, web_url: str, password: str, user: str, number: str, shot: str) -> None:
    page = signed_in(browser, web_url, password, user)
    context = page.context
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

    # 每事一卡: from the status page to the rating card, five levels and a comment
    page.click("#rate")
    assert page.inner_text("#number") == number
    shoot(page, "07-rating-card")
    page.check('input[name="level"][value="4"]')
    page.fill('textarea[name="comment"]', "窗口服务热情，材料一次说清")
    page.click('#card button[type="submit"]')
    assert "感谢评议" in page.inner_text("#rated") and "满意" in page.inner_text("#rated")
    shoot(page, "08-rated")
    page.goto(f"{web_url}/rating?number={number}&code={code}")
    page.check('input[name="level"][value="5"]')
    page.click('#card button[type="submit"]')
    assert "只评一次" in page.inner_text("#error"), "a case is rated once"
    return str(number)


def wait_on_board(page: Any, selector: str, what: str) -> None:
    """The board reloads itself (meta refresh): wait for it, never reload it by hand."""
    deadline = time.monotonic() + 60
    while page.locator(selector).count() == 0:
        assert time.monotonic() < deadline, f"the board never showed {what}: {page.inner_text('main')}"
        time.sleep(0.5)


def urge(browser: Any, web_url: str, password: str, case: str, task: str) -> str:
    """The supervisor sees the late stage yellow on the board and urges it from the case's page."""
    page = signed_in(browser, web_url, password, "gs-supervisor", "/supervision")
    wait_on_board(page, f'#overdue tr[data-target="{task}"][data-level="yellow"]', "the yellow stage")
    assert page.locator('#posts tr[data-post="gs-city/approval-section/reviewer"]').get_attribute(
        "data-level") in ("yellow", "red")
    shoot(page, "10-board-yellow")
    page.click(f'#overdue tr[data-target="{task}"] a >> text=督办')
    page.select_option('#urge-form select[name="target"]', task)
    page.fill('#urge-form input[name="working_days"]', "1")
    page.fill('#urge-form input[name="note"]', "请今日内办结")
    page.click('#urge-form button[type="submit"]')
    assert "已督办" in page.inner_text("#message")
    assert "case.urged" in page.inner_text("#trail"), "the urging is in the case's audit trail"
    shoot(page, "11-urged")
    return task


def red(browser: Any, web_url: str, password: str, task: str) -> str:
    """After the urging deadline passed the post is red; statistics, the trail and the chain are shown."""
    page = signed_in(browser, web_url, password, "gs-supervisor", "/supervision")
    wait_on_board(page, f'#overdue tr[data-target="{task}"][data-level="red"]', "the red light")
    post = page.locator('#posts tr[data-post="gs-city/approval-section/reviewer"]')
    assert post.get_attribute("data-level") == "red" and "红牌" in post.inner_text()
    shoot(page, "12-board-red")
    page.click("text=统计分析")
    assert page.locator("#on-time .bar").count() >= 1 and "考核等次" in page.inner_text("#assessment")
    shoot(page, "13-statistics")
    page.goto(f"{web_url}/supervision/chain")
    assert "审计链完整" in page.inner_text("#chain")
    shoot(page, "14-chain")
    inspector = signed_in(browser, web_url, password, "inspector", "/supervision")
    wait_on_board(inspector, f'#overdue tr[data-target="{task}"][data-level="red"]', "the red light to the inspector")
    assert inspector.locator("#urge-form").count() == 0
    shoot(inspector, "15-inspector-board")
    return task


def complain(browser: Any, web_url: str) -> str:
    """A complaint through the portal's form, told what is wrong first, then numbered; its status looked up."""
    page = browser.new_page(locale="zh-CN")
    page.goto(f"{web_url}/results")
    assert "审批结果" in page.inner_text("main") and "土地供应" in page.inner_text("main")
    shoot(page, "20-results")
    page.goto(f"{web_url}/complaints")
    page.select_option('select[name="tenant"]', "gs-city")
    page.fill('input[name="name"]', "王芳")
    page.fill('input[name="mobile"]', "1395711")
    page.fill('input[name="subject"]', "窗口办事排队时间长")
    page.fill('textarea[name="text"]', "上周三在拱墅区城管局窗口排队两个小时。")
    page.click('#complaint button[type="submit"]')
    assert "手机号码" in page.inner_text("#errors") and page.input_value('input[name="name"]') == "王芳"
    shoot(page, "21-complaint-told-what-is-wrong")
    page.fill('input[name="mobile"]', "13957112345")
    page.click('#complaint button[type="submit"]')
    number = page.inner_text("#complaint-number")
    assert re.fullmatch(r"GS-XF-\d{4}-\d{6}", number), number
    shoot(page, "22-complaint-filed")
    code = page.inner_text("#complaint-code")
    page.goto(f"{web_url}/complaints/status")
    page.fill('input[name="number"]', number)
    page.fill('input[name="code"]', code)
    page.click('button[type="submit"]')
    assert "办理中" in page.inner_text("#complaint-state") and "窗口办事排队时间长" in page.inner_text("#subject")
    assert "王*" in page.inner_text("#complaint"), "the complainant's name is masked"
    shoot(page, "23-complaint-status")
    return number


def complain_hostile(page: Any, web_url: str) -> tuple[str, str]:
    """A complaint whose every text field is hostile, through the form; its number and query code."""
    page.goto(f"{web_url}/complaints")
    page.select_option('select[name="tenant"]', "gs-city")
    page.fill('input[name="name"]', hostile("name"))
    page.fill('input[name="mobile"]', "13957112345")
    page.fill('input[name="subject"]', hostile("subject"))
    page.fill('textarea[name="text"]', hostile("text"))
    page.click('#complaint button[type="submit"]')
    return page.inner_text("#complaint-number"), page.inner_text("#complaint-code")


def escaped(browser: Any, web_url: str, password: str, done: str, code: str, late: str) -> str:
    """Hostile free text (name, comment, complaint, delay reason) is shown as text: no script runs anywhere."""
    dialogs: list[str] = []
    staff = signed_in(browser, web_url, password, "gs-supervisor", f"/staff/cases/{done}")
    public = browser.new_page(locale="zh-CN")
    for page in (staff, public):
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    public.goto(f"{web_url}/rating?number={done}&code={code}")
    public.check('input[name="level"][value="1"]')
    public.fill('textarea[name="comment"]', hostile("comment"))
    public.click('#card button[type="submit"]')
    pages = [("rating card", public, ["comment"])]
    shown, texts = {"rating card": public.content()}, {"rating card": public.inner_text("main")}
    complaint, complaint_code = complain_hostile(public, web_url)
    pages.append(("complaint filed", public, ["subject", "text"]))
    shown["complaint filed"], texts["complaint filed"] = public.content(), public.inner_text("main")
    staff.goto(f"{web_url}/staff/cases/{done}")
    pages.append(("staff case page", staff, ["applicant"]))
    shown["staff case page"], texts["staff case page"] = staff.content(), staff.inner_text("main")
    for name, path, words in (("supervised case (trail)", f"/supervision/cases/{done}", ["applicant", "comment"]),
                              ("late case (trail)", f"/supervision/cases/{late}", ["applicant", "reason"]),
                              ("board", "/supervision", ["reason", "subject"]),
                              ("complaint status", f"/complaints/status?number={complaint}&code={complaint_code}",
                               ["subject"])):
        page = public if name == "complaint status" else staff
        page.goto(f"{web_url}{path}")
        pages.append((name, page, words))
        shown[name], texts[name] = page.content(), page.inner_text("main")
        shoot(page, "30-escaped-" + name.split(" ")[0])
    for name, _, words in pages:
        for word in words:
            assert f"<script>alert('{word}')</script>" in texts[name], f"{name} does not show the {word} as text"
        assert "<script>alert" not in shown[name], f"{name} put user text into the page as markup"
    assert dialogs == [], f"a script ran: {dialogs}"
    return "escaped"


def main(name: str, web_url: str, password: str, *args: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            if name == "apply":
                print(journey(chromium, web_url, password))
            elif name == "urge":
                print(urge(chromium, web_url, password, *args))
            elif name == "red":
                print(red(chromium, web_url, password, *args))
            elif name == "complain":
                print(complain(chromium, web_url))
            else:
                print(escaped(chromium, web_url, password, *args))
        finally:
            chromium.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
