"""The supervision board and the portal's pages over plain HTTP, through real processes: who may watch,
who may urge, what the public sees of results, rating cards and complaints, and what strangers do not."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.support import portal, query
from tests.integration.test_supervision_lights import lights_of, open_overdue_case
from tools.drive import drive_one, sample_application, wait_for
from tools.stack import Stack

pytestmark = pytest.mark.integration
PASSWORD = "a-demo-password-for-pages"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with portal(tmp_path_factory.mktemp("stack-pages"), PASSWORD) as running:
        yield running


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def page(stack: Stack, path: str, *, user: str | None = None, form: dict[str, str] | None = None) -> tuple[int, str]:
    """Open a page as ``user`` (signed in with a bearer token) or anonymously; redirects are not followed."""
    headers = {"Authorization": f"Bearer {token(stack, user)}"} if user else {}
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(f"{stack.web_url}{path}", data=data, headers=headers)
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode() + error.headers.get("Location", "")


def token(stack: Stack, user: str) -> str:
    request = urllib.request.Request(f"{stack.web_url}/api/session", method="POST",
                                     data=json.dumps({"username": user, "password": PASSWORD}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.loads(response.read())["token"])


def test_the_board_is_for_supervisors_leaders_and_inspectors_and_a_refusal_is_logged(stack: Stack, rpc: Any) -> None:
    case, task = open_overdue_case(stack)
    wait_for(lambda: (task, "yellow") in lights_of(rpc, case) or None, timeout=30, what="the yellow light")

    status, location = page(stack, "/supervision")
    assert status == 303 and location.endswith("/staff/sign-in")
    for user in ("gs-supervisor", "gs-leader"):
        status, html = page(stack, "/supervision", user=user)
        assert status == 200 and f'data-target="{task}"' in html, user
    # the reviewing department is lit, by the name its staff know it by, not by its code
    department_row = html.split('data-department="approval-section"')[1].split("</tr>")[0]
    assert "<td>审批科</td><td>杭州市拱墅区城市管理局</td>" in department_row
    status, html = page(stack, "/supervision?tenant=gs-city", user="inspector")
    assert status == 200 and f'data-target="{task}"' in html
    assert f'data-target="{task}"' not in page(stack, "/supervision?tenant=hz-land", user="inspector")[1]

    assert page(stack, "/supervision", user="gs-reviewer")[0] == 403
    assert page(stack, "/supervision?tenant=hz-land", user="gs-supervisor")[0] == 403
    assert page(stack, f"/supervision/cases/{case}", user="hz-reviewer")[0] == 403
    wait_for(lambda: query(stack, "supervision", "SELECT seq FROM audit_log WHERE event_type = 'access.denied' "
                                                 "AND body LIKE '%gs-reviewer%'") or None,
             timeout=30, what="the refusal in supervision's audit log")


def test_only_the_supervising_post_urges_from_the_case_page(stack: Stack, rpc: Any) -> None:
    case, task = open_overdue_case(stack)
    wait_for(lambda: (task, "yellow") in lights_of(rpc, case) or None, timeout=30, what="the yellow light")
    leader_view = page(stack, f"/supervision/cases/{case}", user="gs-leader")[1]
    assert "urge-form" not in leader_view and "application.accepted" in leader_view  # reads the trail, no form
    form = {"target": task, "working_days": "2", "note": "请加快"}
    for user in ("gs-leader", "inspector"):
        assert page(stack, f"/supervision/cases/{case}/urge", user=user, form=form)[0] == 403, user
    assert rpc.supervision.case_supervision(case)["urgings"] == []

    status, html = page(stack, f"/supervision/cases/{case}/urge", user="gs-supervisor",
                        form={**form, "working_days": "zero"})
    assert status == 422 and "限办工作日数：应为整数" in html and "Not a valid" not in html
    status, location = page(stack, f"/supervision/cases/{case}/urge", user="gs-supervisor", form=form)
    assert status == 303
    [urging] = rpc.supervision.case_supervision(case)["urgings"]
    assert urging["target"] == task and urging["urged_by"] == "gs-city/supervision-office/supervisor"


def test_published_results_show_the_certificate_with_the_holder_masked(stack: Stack, rpc: Any) -> None:
    done = drive_one(rpc, sample_application(5))
    holder = sample_application(5)["applicant"]["name"]
    status, html = page(stack, "/results?tenant=gs-city")
    assert status == 200 and done.certificate["number"] in html
    assert holder not in html and f"{holder[0]}*" in html


def test_a_case_is_rated_only_when_completed_and_only_with_its_query_code(stack: Stack, rpc: Any) -> None:
    receipt = rpc.intake.submit_application(sample_application(11))
    number, code = receipt["application_number"], receipt["query_code"]
    # asked at once: workflow and supervision may not have heard of the acceptance yet (supervision records in
    # batches, up to RECORD_LINGER_MS late); the code proves the application, so it is "not completed", not unknown
    status, html = page(stack, f"/rating?number={number}&code={code}")
    assert status == 200 and "尚未办结" in html and 'name="level"' not in html
    assert page(stack, f"/rating?number={number}&code=000000")[0] == 404
    status, html = page(stack, "/rating", form={"number": number, "code": code, "level": "5", "comment": ""})
    assert status == 409 and "办结后方可评议" in html


def test_a_complaint_is_shown_only_with_its_query_code_and_an_inspector_files_nothing(stack: Stack, rpc: Any) -> None:
    form = {"tenant": "gs-city", "name": "李强", "mobile": "13800001111", "subject": "占道经营无人管",
            "text": "湖墅南路夜市占道严重。"}
    assert page(stack, "/complaints", user="inspector", form=form)[0] == 403
    status, html = page(stack, "/complaints", form=form)
    assert status == 201 and "湖墅南路夜市占道严重。" in html
    number = html.split('id="complaint-number">')[1].split("<")[0]
    code = html.split('id="complaint-code">')[1].split("<")[0]
    status, html = page(stack, f"/complaints/status?number={number}&code=000000")
    assert status == 404 and "占道经营无人管" not in html
    status, html = page(stack, f"/complaints/status?number={number}&code={code}")
    assert status == 200 and "占道经营无人管" in html and "138****1111" in html and "李强" not in html
    status, html = page(stack, "/complaints", form={**form, "tenant": "nowhere"})
    assert status == 422 and "受理单位" in html


def test_a_bad_field_on_the_complaint_form_is_explained_in_chinese(stack: Stack) -> None:
    form = {"tenant": "gs-city", "name": "李强", "mobile": "12345", "subject": "占", "text": "湖墅南路夜市占道严重。"}
    status, html = page(stack, "/complaints", form=form)
    assert status == 422
    assert "手机号码：不是有效的手机号码（应为 13 至 19 开头的 11 位数字）" in html
    assert "主题：应为 2 至 200 个字" in html
    assert "does not match" not in html and "Length must be" not in html


def test_a_bad_field_on_the_application_form_is_explained_in_chinese_and_the_api_keeps_english(
        stack: Stack) -> None:
    applicant = {"name": "", "kind": "person", "id_number": "330105199001011234", "mobile": "13805710001"}
    status, html = page(stack, "/items/GS-CG-0201/apply", form=applicant)
    assert status == 422 and "申请人名称：应为 1 至 100 个字" in html and "Length must" not in html
    # intake's own reasons too, every one at once (一次性告知): the mobile and each missing material
    status, html = page(stack, "/items/GS-CG-0201/apply", form={**applicant, "name": "王小明", "mobile": "12345"})
    assert status == 422 and "手机号码：不是有效的手机号码" in html and "：缺少" in html and "missing:" not in html
    request = urllib.request.Request(f"{stack.web_url}/api/applications", method="POST",
                                     data=json.dumps({**sample_application(7), "applicant": applicant}).encode(),
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert json.loads(refused.value.read())["fields"]["applicant.name"] == ["Length must be between 1 and 100."]


def test_the_holder_of_a_late_stage_gives_its_delay_reason_from_the_case_page(stack: Stack, rpc: Any) -> None:
    case, task = open_overdue_case(stack)
    wait_for(lambda: (task, "yellow") in lights_of(rpc, case) or None, timeout=30, what="the yellow light")
    wait_for(lambda: rpc.workflow.get_case(case), timeout=30, what="workflow to open the case")
    status, html = page(stack, f"/staff/cases/{case}", user="gs-reviewer")
    assert status == 200 and "delay-reason-form" in html
    reason = {"target": task, "post": "gs-city/approval-section/reviewer", "reason": "等待规划部门意见"}
    assert page(stack, f"/staff/cases/{case}/delay-reason", user="gs-commerce", form=reason)[0] == 403
    assert page(stack, f"/staff/cases/{case}/delay-reason", user="gs-reviewer", form=reason)[0] == 303
    status, html = page(stack, f"/staff/cases/{case}/delay-reason", user="gs-reviewer", form=reason)
    assert status == 409, "a stage's delay is explained once"
    assert rpc.supervision.case_supervision(case)["delay_reasons"][0]["reason"] == "等待规划部门意见"
    assert "等待规划部门意见" in page(stack, "/supervision", user="gs-supervisor")[1]
