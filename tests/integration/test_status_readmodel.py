"""The public status answered from the gateway's read model, through real processes and a real broker.

The applicant follows a shop-sign application with its number and query code: the gateway answers from
the row it folded from intake's, workflow's and registry's events, the same answer intake and workflow
would give; events that come late, out of order or twice change nothing; a number the read model does
not hold yet is still answered, by asking intake and workflow; a wrong code looks like an unknown number.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from sunlight.contracts import new_event
from sunlight.querycodes import code_digest
from tests.integration.support import metric, publish_raw, query
from tools.drive import sample_application, wait_for
from tools.stack import GATEWAY, Stack, running_stack

pytestmark = pytest.mark.integration
APPLICANT = {"name": "王芳", "mobile": "13800000000"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Intake, workflow and the gateway: enough for the status, and nobody else acting on made-up events."""
    with running_stack(tmp_path_factory.mktemp(f"stack-status-{request.param}"), backend=request.param,
                       services=("intake", "workflow", GATEWAY), extra_env={"STATUS_CACHE_SECONDS": "0",
                                                                            "EVENT_RETRY_DELAY_MS": "100"}) as running:
        yield running


def get_status(stack: Stack, number: str, code: str) -> tuple[int, Any]:
    url = f"{stack.web_url}/api/applications/{urllib.request.quote(number)}/status?code={code}"
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - the test's own stack
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def apply(stack: Stack, index: int) -> dict[str, Any]:
    """A real shop-sign application, accepted by intake; returns its receipt once the case is open."""
    with stack.rpc_client(timeout=60) as rpc:
        receipt: dict[str, Any] = rpc.intake.submit_application(
            sample_application(index, item_code="GS-CG-0201", batch=uuid.uuid4().hex))
        wait_for(lambda: rpc.workflow.get_case(receipt["application_number"]), timeout=60, what="the case")
    return receipt


def folded_row(stack: Stack, number: str) -> list[Any]:
    return query(stack, GATEWAY, "SELECT status, stage FROM public_status WHERE application_number = :n", n=number)


def test_an_open_shop_sign_case_is_answered_from_the_read_model_as_intake_and_workflow_would(stack: Stack) -> None:
    receipt = apply(stack, 1)
    number, code = receipt["application_number"], receipt["query_code"]
    wait_for(lambda: folded_row(stack, number) == [("open", "co-review")] or None, timeout=60,
             what="the read model to hold the case at its co-review")
    assert get_status(stack, number, code) == (200, {
        "application_number": number, "item_name": receipt["item_name"], "received_at": receipt["accepted_at"],
        "promised_date": receipt["promised_date"], "status": "open", "current_stage": "co-review",
        "certificate_number": None})


def test_a_number_the_read_model_does_not_hold_is_still_answered_by_intake_and_workflow(stack: Stack) -> None:
    receipt = apply(stack, 2)
    number, code = receipt["application_number"], receipt["query_code"]
    wait_for(lambda: folded_row(stack, number) or None, timeout=60, what="the read model row")
    folded = get_status(stack, number, code)
    assert folded[0] == 200
    _forget(stack, number)  # as for an application accepted before the read model existed
    assert get_status(stack, number, code) == folded


def test_an_application_workflow_has_not_opened_yet_is_received_not_unknown(stack: Stack) -> None:
    """Right after submitting, intake's event may not have reached workflow or the read model: the applicant
    with the receipt in hand is told it was received, not that the number or the code is wrong."""
    receipt = apply(stack, 4)
    number, code = receipt["application_number"], receipt["query_code"]
    wait_for(lambda: folded_row(stack, number) or None, timeout=60, what="the read model row")
    _forget(stack, number)  # as the moment before the gateway and workflow heard of the acceptance
    _execute(stack, "workflow", number, "DELETE FROM tasks WHERE case_number = :n",
             "DELETE FROM cases WHERE case_number = :n")
    assert get_status(stack, number, code) == (200, {
        "application_number": number, "item_name": receipt["item_name"], "received_at": receipt["accepted_at"],
        "promised_date": receipt["promised_date"], "status": "accepted", "current_stage": None,
        "certificate_number": None})
    page = f"{stack.web_url}/status?number={urllib.request.quote(number)}&code={code}"
    with urllib.request.urlopen(page, timeout=30) as response:  # noqa: S310 - the test's own stack
        assert "已受理，正在分送" in response.read().decode()
    assert get_status(stack, number, "000000" if code != "000000" else "111111")[0] == 404


def test_a_wrong_code_looks_exactly_like_an_unknown_number(stack: Stack) -> None:
    receipt = apply(stack, 3)
    number, code = receipt["application_number"], receipt["query_code"]
    wrong = "000000" if code != "000000" else "111111"
    wait_for(lambda: folded_row(stack, number) or None, timeout=60, what="the read model row")
    status, body = get_status(stack, number, wrong)
    unknown_number = number[:-6] + "999999"
    assert (status, body) == (404, _with_number(get_status(stack, unknown_number, wrong)[1], unknown_number, number))
    _forget(stack, number)  # and by the RPC path too
    assert get_status(stack, number, wrong) == (status, body)


def test_the_read_model_converges_under_duplicate_and_out_of_order_events(stack: Stack) -> None:
    """A made-up case intake never saw: only the read model can answer it (intake would say 404)."""
    number, code = f"GS-CG-2026-{uuid.uuid4().int % 10**6:06d}X", "482913"
    t0 = datetime.now(UTC) - timedelta(days=1)
    accepted = event(stack, "application.accepted", number, t0, {
        "application_number": number, "item_code": "GS-CG-0201", "item_name": "户外招牌设置", "tenant": "gs-city",
        "process": "no-such-process",  # workflow opens no case of its own for it (its event goes to dlq.workflow)
        "applicant": APPLICANT, "accepted_at": t0, "promised_date": date(2026, 12, 4), "certificate_kind": "permit",
        "query_code_digest": code_digest(stack.query_code_key.encode(), number, code)})
    opened = event(stack, "case.opened", number, t0 + timedelta(seconds=1), {
        "item_code": "GS-CG-0201", "tenant": "gs-city", "definition": "shop-sign", "definition_version": 1})
    review = event(stack, "task.created", number, t0 + timedelta(seconds=1), task("co-review", t0))
    returned = event(stack, "case.returned", number, t0 + timedelta(hours=1), {
        "task_id": f"{number}.co-review.1", "stage": "co-review", "post": "gs-city/cityscape-section/reviewer",
        "actor": "gs-cityscape", "missing": ["site-photo"], "reason": "照片不清楚"})
    resumed = event(stack, "case.resumed", number, t0 + timedelta(hours=3), {
        "stage": "co-review", "actor": "system", "after": "returned", "stopped_working_seconds": 7200.0})
    sign = event(stack, "task.created", number, t0 + timedelta(hours=4), task("sign", t0))
    # newest first, every event twice, the acceptance last: the truth is the leader signing, case open
    for source, body in [sign, resumed, returned, review, opened, sign, resumed, returned, review, opened,
                         accepted, accepted]:
        publish_raw(stack, source, body["event_type"], body)
    expected = {"application_number": number, "item_name": "户外招牌设置", "received_at": t0.isoformat(),
                "promised_date": "2026-12-04", "status": "open", "current_stage": "sign", "certificate_number": None}
    # the handlers of the ten event types run side by side: wait until every event has been folded
    wait_for(lambda: get_status(stack, number, code) == (200, expected) or None, timeout=60,
             what="the read model to answer the made-up case with its truth")
    wait_for(lambda: metric(stack, GATEWAY, "sunlight_events_duplicate_total", consumer="status_on_resumed") or None,
             timeout=30, what="the second resumption to be recognised as a duplicate")
    assert get_status(stack, number, code) == (200, expected)


def event(stack: Stack, event_type: str, number: str, occurred_at: datetime,
          payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(the publishing service, the message) of an event as that service would publish it."""
    made = new_event(event_type, number, payload, occurred_at)
    return made.source, made.to_message()


def task(stage: str, t0: datetime) -> dict[str, Any]:
    return {"task_id": f"{stage}-{uuid.uuid4().hex[:6]}", "stage": stage, "post": "gs-city/leadership/leader",
            "due_at": t0 + timedelta(days=3)}


def _forget(stack: Stack, number: str) -> None:
    _execute(stack, GATEWAY, number, "DELETE FROM public_status WHERE application_number = :n")


def _execute(stack: Stack, service: str, number: str, *statements: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(stack.db_uris[service])
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement), {"n": number})
    finally:
        engine.dispose()


def _with_number(body: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """The body an unknown number got, as it reads for another number."""
    return json.loads(json.dumps(body, ensure_ascii=False).replace(old, new))
