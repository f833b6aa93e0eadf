"""Personal data (issue 12): no ID number and no mobile number appears unmasked in any log line or metric,
and no full ID number, mobile or name of an applicant or complainant on any public page or public JSON.

Applications go through the whole stack (the gateway, the window, review, payment, certificate, SMS),
and so do refusals that name the bad field: a wrong ID check character, a mobile that is not one, a
duplicate. Then every line every service logged, and every sample on every service's /metrics page,
is searched for each ID number and each mobile number the test used.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from sunlight.errors import ValidationFailed
from tests.integration.test_gateway import http
from tools.drive import drive_one, sample_application
from tools.stack import ALL_SERVICES, Stack, running_stack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    settings = {"EVENT_RETRY_DELAY_MS": "100", "LOG_FORMAT": "json"}
    with running_stack(tmp_path_factory.mktemp("stack-personal"), services=ALL_SERVICES,
                       extra_env=settings) as running:
        yield running



def personal(application: dict[str, Any]) -> list[str]:
    applicant = application["applicant"]
    return [applicant["id_number"], applicant["mobile"]]


def everything_said(stack: Stack) -> dict[str, str]:
    """Each service's whole log and its /metrics page."""
    said = {f"{service} log": stack.log(service) for service in ALL_SERVICES}
    for service in ALL_SERVICES:
        url = f"http://127.0.0.1:{stack.metrics_ports[service]}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - localhost
            said[f"{service} /metrics"] = response.read().decode()
    return said


def test_no_id_number_or_mobile_appears_unmasked_in_any_log_line_or_metric(stack: Stack, rpc: Any) -> None:
    used: list[str] = []
    for index in (7001, 7002):  # a company's land registration and a person's shop sign
        application = sample_application(index)
        drive_one(rpc, application)
        used += personal(application)
        rpc.intake.submit_application(application)  # the same files again: taken as the same one
    online = sample_application(7003)
    status, receipt = http(stack, "POST", "/api/applications", online)
    assert status == 201, receipt
    used += personal(online)

    wrong_check = sample_application(7004)
    wrong_check["applicant"]["id_number"] = wrong_check["applicant"]["id_number"][:-1] + (
        "0" if wrong_check["applicant"]["id_number"][-1] != "0" else "1")
    not_a_mobile = sample_application(7005)
    not_a_mobile["applicant"]["mobile"] = "2" + not_a_mobile["applicant"]["mobile"][1:]
    for refused in (wrong_check, not_a_mobile):
        with pytest.raises(ValidationFailed):
            rpc.intake.submit_application(refused)
        status, _ = http(stack, "POST", "/api/applications", refused)
        assert status == 422  # unprocessable: the field and the reason, not the value
        used += personal(refused)

    leaks = [(where, value) for where, text in everything_said(stack).items() for value in set(used)
             if value in text]
    assert not leaks, "unmasked personal data: " + json.dumps(leaks, ensure_ascii=False)


def public_text(stack: Stack, path: str) -> str:
    """What anyone on the internet gets at ``path`` (a page or JSON), asserted to be an answer, not an error."""
    with urllib.request.urlopen(f"{stack.web_url}{path}", timeout=30) as response:  # noqa: S310 - localhost
        assert response.status == 200, path
        return str(response.read().decode())


def test_no_full_id_number_mobile_or_name_on_any_public_page_or_public_json(stack: Stack, rpc: Any) -> None:
    """The status lookups, the published results, the rating card, certificate verification, complaints."""
    said: dict[str, str] = {}
    used: list[str] = []
    for index in (7011, 7012):  # a person's shop sign, a company's land registration
        application = sample_application(index)
        outcome = drive_one(rpc, application)
        used += [*personal(application), application["applicant"]["name"]]
        query = urllib.parse.urlencode({"number": outcome.number, "code": outcome.receipt["query_code"]})
        certificate = urllib.parse.quote(outcome.certificate["number"])
        said |= {
            f"/status {index}": public_text(stack, f"/status?{query}"),
            f"/rating {index}": public_text(stack, f"/rating?{query}"),
            f"status JSON {index}": public_text(stack, f"/api/applications/{outcome.number}/status?"
                                                       f"code={outcome.receipt['query_code']}"),
            f"certificate JSON {index}": public_text(stack, f"/api/certificates/{certificate}"),
        }
        tenant = rpc.workflow.get_case(outcome.number)["tenant"]
    said |= {"/results": public_text(stack, "/results"),
             f"/results {tenant}": public_text(stack, f"/results?tenant={tenant}")}

    complainant = {"name": "欧阳明华", "mobile": "13905719876"}
    status, filed = http(stack, "POST", "/api/complaints", {
        "tenant": tenant, "complainant": complainant, "subject": "窗口排队太久",
        "text": f"联系人{complainant['name']}，电话{complainant['mobile']}。"})
    assert status == 201, filed
    used += list(complainant.values())
    query = urllib.parse.urlencode({"number": filed["number"], "code": filed["query_code"]})
    form = urllib.parse.urlencode({"tenant": tenant, "name": complainant["name"], "mobile": complainant["mobile"],
                                   "subject": "窗口排队太久", "text": "再投诉一次。"}).encode()
    with urllib.request.urlopen(f"{stack.web_url}/complaints", data=form, timeout=30) as response:  # noqa: S310
        assert response.status == 201
        said["/complaints filed page"] = response.read().decode()
    said |= {
        "/complaints/status": public_text(stack, f"/complaints/status?{query}"),
        "complaint JSON": public_text(stack, f"/api/complaints/{filed['number']}?code={filed['query_code']}"),
    }
    for where, text in said.items():  # each lookup did find what it looked up
        assert "不正确" not in text, where

    # shown, but masked: the search above looks where the data is
    assert "138****7011" in said["certificate JSON 7011"] and "139****9876" in said["complaint JSON"]
    leaks = [(where, value) for where, text in said.items() for value in set(used) if value in text]
    assert not leaks, "unmasked personal data on public pages: " + json.dumps(leaks, ensure_ascii=False)
