"""The HTTP door, through real processes: catalogue, apply (and be told everything missing), follow the
status with the query code, decide from the inbox, verify the certificate; errors as one JSON shape."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.support import portal, query
from tools.drive import sample_application, wait_for
from tools.stack import Stack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with portal(tmp_path_factory.mktemp("stack-gateway"), PASSWORD) as running:
        yield running


PASSWORD = "a-demo-password-for-tests"
REVIEWER_POST = "gs-city/approval-section/reviewer"


def sign_in(stack: Stack, username: str, password: str = PASSWORD) -> dict[str, str]:
    status, body = http(stack, "POST", "/api/session", {"username": username, "password": password})
    assert status == 201, body
    return {"Authorization": f"Bearer {body['token']}"}


def http(stack: Stack, method: str, path: str, body: Any = None, *, raw: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(f"{stack.web_url}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, _body(response.headers.get_content_type(), response.read())
    except urllib.error.HTTPError as error:
        return error.code, _body(error.headers.get_content_type(), error.read())


def _body(content_type: str, data: bytes) -> Any:
    """JSON as Python; anything else (CSV, Prometheus text) as text."""
    return json.loads(data) if content_type == "application/json" else data.decode()


def test_the_catalogue_is_public(stack: Stack) -> None:
    status, items = http(stack, "GET", "/api/items")
    assert status == 200 and {"HZ-DJ-0101", "GS-CG-0201"} <= {i["code"] for i in items}
    status, item = http(stack, "GET", "/api/items/GS-CG-0201")
    assert status == 200 and item["name"] == "户外招牌设置审批"
    assert http(stack, "GET", "/api/items/NO-SUCH")[0] == 404


def test_an_incomplete_application_is_told_everything_missing_in_one_answer(stack: Stack) -> None:
    application = sample_application(0)
    for code in ("grant-contract", "parcel-map", "identity"):
        del application["materials"][code]
    status, body = http(stack, "POST", "/api/applications", application)
    assert status == 422 and body["error"] == "incomplete_application"
    assert set(body["fields"]) == {"materials.grant-contract", "materials.parcel-map", "materials.identity"}


@pytest.mark.parametrize(("raw", "status", "field"), [
    (b"{not json", 400, None),
    (b"[1, 2]", 400, None),
    (json.dumps({"item_code": "HZ-DJ-0101", "colour": "red"}).encode(), 422, "colour"),
])
def test_bad_requests_get_a_clear_4xx_naming_the_field(
    stack: Stack, raw: bytes, status: int, field: str | None
) -> None:
    got, body = http(stack, "POST", "/api/applications", raw=raw)
    assert got == status and set(body) == {"error", "message", "fields"}
    if field:
        assert field in body["fields"]


def test_apply_follow_decide_and_verify_over_http(stack: Stack) -> None:
    application = sample_application(1)
    key = {"Idempotency-Key": "window-7-0001"}
    status, receipt = http(stack, "POST", "/api/applications", application, headers=key)
    assert status == 201
    again = http(stack, "POST", "/api/applications", application, headers=key)
    assert again == (201, receipt), "the same key must return the first receipt, not a second application"
    number, code = receipt["application_number"], receipt["query_code"]

    assert http(stack, "GET", f"/api/applications/{number}/status?code=000000" if code != "000000"
                else f"/api/applications/{number}/status?code=111111")[0] == 404
    assert http(stack, "GET", f"/api/applications/{number}/status")[0] == 422

    def stage() -> str | None:
        got, status_body = http(stack, "GET", f"/api/applications/{number}/status?code={code}")
        return status_body["current_stage"] if got == 200 else None

    assert wait_for(stage, timeout=20, what="the case to open") == "co-review"

    # seed 002: city management, commerce, traffic police and planning in parallel, then the leader;
    # each signs in as the holder of their post
    holders = {"gs-city/cityscape-section/reviewer": "gs-cityscape", "gs-city/commerce-bureau/reviewer": "gs-commerce",
               "gs-city/traffic-police/reviewer": "gs-traffic", "gs-city/planning-bureau/reviewer": "gs-planning",
               "gs-city/leadership/leader": "gs-leader"}
    for post, user in holders.items():
        token = sign_in(stack, user)
        task = wait_for(lambda p=post, t=token: next((x for x in http(stack, "GET", f"/api/tasks?post={p}",
                                                                      headers=t)[1]
                                                      if x["case_number"] == number), None),
                        timeout=20, what=f"the task in {post}'s inbox")
        wrong = http(stack, "POST", f"/api/tasks/{task['task_id']}/decision",
                     {"post": "gs-city/elsewhere/clerk", "decision": "approve"}, headers=token)
        assert wrong[0] == 403
        status, result = http(stack, "POST", f"/api/tasks/{task['task_id']}/decision",
                              {"post": post, "decision": "approve", "opinion": "同意"}, headers=token)
        assert status == 200, result

    def certificate() -> str | None:
        got, body = http(stack, "GET", f"/api/applications/{number}/status?code={code}")
        return body.get("certificate_number") if got == 200 else None

    number_issued = wait_for(certificate, timeout=20, what="the permit")
    status, public = http(stack, "GET", f"/api/certificates/{urllib.request.quote(number_issued)}")
    assert status == 200 and public["number"] == number_issued
    assert application["applicant"]["name"] not in json.dumps(public, ensure_ascii=False)

    # 每事一卡: the applicant rates it once
    rating = {"application_number": number, "query_code": code, "level": 5, "comment": "一次办结"}
    rated = wait_for(lambda: (lambda r: r if r[0] == 201 else None)(http(stack, "POST", "/api/ratings", rating)),
                     timeout=20, what="supervision to take the rating of the completed case")
    assert rated[1]["level"] == 5 and rated[1]["rectification_due"] is None
    assert http(stack, "POST", "/api/ratings", rating)[0] == 409
    assert http(stack, "POST", "/api/ratings", {**rating, "level": 9})[0] == 422


def test_the_openapi_document_describes_every_endpoint(stack: Stack) -> None:
    status, spec = http(stack, "GET", "/openapi.json")
    assert status == 200 and spec["openapi"].startswith("3.")
    assert {"/api/items", "/api/items/{code}", "/api/applications", "/api/applications/{number}/status",
            "/api/tasks", "/api/tasks/{task_id}/decision", "/api/certificates/{number}"} <= set(spec["paths"])
    post = spec["paths"]["/api/applications"]["post"]
    assert {"201", "422"} <= set(post["responses"])


# --- who may do what: the full matrix is ALLOWED in test_gateway_access.py; here, that refusals are audited

DECIDE = {  # POST /api/tasks/{unknown id}/decision as the reviewer post: 404 means it passed the door
    None: 401, "applicant": 403, "gs-reviewer": 404, "gs-clerk": 403, "gs-supervisor": 403,
    "hz-reviewer": 403, "inspector": 403, "admin": 403,
}


@pytest.mark.parametrize(("user", "expected"), DECIDE.items())
def test_only_a_holder_of_the_post_in_its_tenant_decides(stack: Stack, user: str | None, expected: int) -> None:
    headers = sign_in(stack, user) if user else {}
    status, body = http(stack, "POST", "/api/tasks/no-such-task/decision",
                        {"post": REVIEWER_POST, "decision": "approve"}, headers=headers)
    assert status == expected, body
    if expected == 403:  # every refusal leaves a line for supervision to collect
        assert wait_for(lambda: f"access denied: user={user} " in stack.log("gateway") or None,
                        timeout=5, what="the refusal in the gateway's log")
        def published() -> bool | None:
            rows = query(stack, "gateway", "SELECT body FROM outbox WHERE event_type = 'access.denied' "
                                           "AND published_at IS NOT NULL")
            return any(json.loads(row[0])["payload"]["username"] == user for row in rows) or None

        assert wait_for(published, timeout=10, what="access.denied published for supervision")

        def audited() -> bool | None:  # and supervision keeps it in the tamper-evident log
            rows = query(stack, "supervision", "SELECT body FROM audit_log WHERE event_type = 'access.denied'")
            return any(json.loads(row[0])["payload"]["username"] == user for row in rows) or None

        assert wait_for(audited, timeout=10, what="access.denied in supervision's audit log")


def test_a_staff_member_without_a_post_argument_sees_their_own_inbox(stack: Stack) -> None:
    status, tasks = http(stack, "GET", "/api/tasks", headers=sign_in(stack, "gs-leader"))
    assert status == 200 and all(t["post"] == "gs-city/leadership/leader" for t in tasks)


def test_an_inbox_comes_a_page_at_a_time_and_a_bad_page_is_named(stack: Stack) -> None:
    post, token = "gs-city/commerce-bureau/reviewer", sign_in(stack, "gs-commerce")
    for index in (41, 43, 45):  # shop signs: each opens a co-review task in the commerce bureau
        assert http(stack, "POST", "/api/applications", sample_application(index, item_code="GS-CG-0201"))[0] == 201
    everything = wait_for(lambda: (lambda got: got if len(got) >= 3 else None)(
        http(stack, "GET", f"/api/tasks?post={post}", headers=token)[1]), timeout=20, what="three tasks in the inbox")
    status, first = http(stack, "GET", f"/api/tasks?post={post}&limit=2", headers=token)
    assert (status, first) == (200, everything[:2])
    status, rest = http(stack, "GET", f"/api/tasks?post={post}&limit=500&after={first[-1]['task_id']}", headers=token)
    assert (status, rest) == (200, everything[2:])
    for bad, field in (("limit=0", "limit"), ("limit=many", "limit"), ("after=GS-2026-999999.x.1", "after")):
        status, body = http(stack, "GET", f"/api/tasks?post={post}&{bad}", headers=token)
        assert (status, list(body["fields"])) == (422, [field]), bad


def test_public_endpoints_need_no_token_and_forged_tokens_are_refused(stack: Stack) -> None:
    assert http(stack, "GET", "/api/items")[0] == 200
    token = sign_in(stack, "gs-clerk")["Authorization"]
    body, _, signature = token.removeprefix("Bearer ").partition(".")
    tampered = {"Authorization": f"Bearer {body[:-2]}xx.{signature}"}
    assert http(stack, "GET", f"/api/tasks?post={REVIEWER_POST}", headers=tampered)[0] == 401
    assert http(stack, "GET", "/api/tasks", headers={"Authorization": "Bearer nonsense"})[0] == 401


# --- pages: server-rendered, escaped, and staff pages behind sign-in ------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def page(stack: Stack, method: str, path: str, form: dict[str, str] | None = None,
         cookie: str | None = None) -> tuple[int, str, dict[str, str]]:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    headers = {"Cookie": cookie} if cookie else {}
    request = urllib.request.Request(f"{stack.web_url}{path}", data=data, method=method, headers=headers)
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=30) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def test_the_portal_lists_the_catalogue_and_escapes_what_applicants_type(stack: Stack) -> None:
    status, html, _ = page(stack, "GET", "/")
    assert status == 200 and "户外招牌设置审批" in html and "个工作日" in html
    status, html, _ = page(stack, "GET", "/items/HZ-DJ-0101")
    assert status == 200 and "不动产登记费（非住宅）：550.00 元" in html and "发改价规〔2016〕2559号" in html
    evil = "<script>alert('x')</script>"
    applicant = sample_application(3, item_code="GS-CG-0201")["applicant"]
    status, html, _ = page(stack, "POST", "/items/GS-CG-0201/apply",
                           {**applicant, "name": evil})
    assert status == 422 and "营业执照" in html and "招牌设计效果图" in html
    assert evil not in html and "&lt;script&gt;" in html


def test_staff_pages_ask_for_sign_in_and_keep_to_the_tenant(stack: Stack) -> None:
    status, _, headers = page(stack, "GET", "/staff/inbox")
    assert status == 303 and headers["Location"].endswith("/staff/sign-in")
    assert page(stack, "POST", "/staff/sign-in", {"username": "gs-leader", "password": "wrong-one"})[0] == 401
    status, _, headers = page(stack, "POST", "/staff/sign-in", {"username": "gs-reviewer", "password": PASSWORD})
    assert status == 303 and "HttpOnly" in headers["Set-Cookie"]
    cookie = headers["Set-Cookie"].split(";")[0]
    status, html, _ = page(stack, "GET", "/staff/inbox", cookie=cookie)
    assert status == 200 and "gs-city/approval-section/reviewer" in html
    assert page(stack, "GET", "/staff/inbox?post=hz-land/approval-section/reviewer", cookie=cookie)[0] == 403
    status, html, _ = page(stack, "GET", "/staff/inbox?post=gs-city/approval-section/reviewer&after=no-such-task",
                           cookie=cookie)
    assert status == 422 and "无法翻页" in html


@pytest.fixture(scope="module")
def gs_case(stack: Stack) -> str:
    status, receipt = http(stack, "POST", "/api/applications", sample_application(5, item_code="GS-CG-0201"))
    assert status == 201, receipt
    number = str(receipt["application_number"])
    token = sign_in(stack, "inspector")
    wait_for(lambda: http(stack, "GET", f"/api/cases/{number}", headers=token)[0] == 200 or None,
             timeout=20, what="the case to open")
    return number


def test_a_case_reads_in_full_for_staff_of_its_tenant(stack: Stack, gs_case: str) -> None:
    status, body = http(stack, "GET", f"/api/cases/{gs_case}", headers=sign_in(stack, "gs-clerk"))
    assert status == 200 and body["case_number"] == gs_case and body["tenant"] == "gs-city" and body["tasks"]


# last in the module: it locks hz-reviewer out for the rest of the run
def test_failed_sign_ins_are_rate_limited_even_for_the_right_password_afterwards(stack: Stack) -> None:
    wrong = {"username": "hz-reviewer", "password": "not-the-password"}
    assert [http(stack, "POST", "/api/session", wrong)[0] for _ in range(5)] == [401] * 5
    status, body = http(stack, "POST", "/api/session", {"username": "hz-reviewer", "password": PASSWORD})
    assert status == 429 and body["error"] == "too_many_attempts"
    assert http(stack, "POST", "/api/session", {"username": "gs-clerk", "password": PASSWORD})[0] == 201
    assert http(stack, "POST", "/api/session", {"username": "nobody", "password": PASSWORD})[0] == 401
