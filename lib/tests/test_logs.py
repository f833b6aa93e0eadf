"""Every log line a worker writes names the case and the event it is working on."""

from __future__ import annotations

import json
import logging
import sys

import eventlet
import pytest

from sunlight import logs


@pytest.fixture(autouse=True)
def _fresh_context() -> None:
    logs.clear()


def record(message: str) -> logging.LogRecord:
    return logging.LogRecord("workflow.service", logging.INFO, __file__, 1, message, None, None)


def test_an_event_handlers_lines_carry_the_event_id_and_case_number_as_json() -> None:
    event = {"event_id": "7b0c3c3e-1111-4222-8333-944455556666", "event_type": "case.approved",
             "case_number": "GS-2026-000001", "payload": {}}
    logs.bind(**logs.fields_of_call((event,), {}))

    line = json.loads(logs.Formatter("registry", "json").format(record("issuing")))

    assert line["service"] == "registry" and line["message"] == "issuing" and line["level"] == "INFO"
    assert line["event_id"] == event["event_id"]
    assert line["case_number"] == "GS-2026-000001" and line["event_type"] == "case.approved"


def test_an_rpc_that_names_a_case_or_a_task_is_tagged_with_it() -> None:
    assert logs.fields_of_call(({"task_id": "GS-2026-000001.handle.1", "post": "p"},), {}) == {
        "task_id": "GS-2026-000001.handle.1"}
    assert logs.fields_of_call((), {"case_number": "HZ-2026-000007"}) == {"case_number": "HZ-2026-000007"}
    assert logs.fields_of_call(({"application_number": "HZ-2026-000008"},), {}) == {
        "case_number": "HZ-2026-000008"}


def test_plain_lines_keep_the_context_readable_and_chinese_stays_chinese() -> None:
    logs.bind(case_number="HZ-2026-000001")
    text = logs.Formatter("notify", "plain").format(record("短信已发送"))
    assert text.endswith("[notify] workflow.service: 短信已发送 [case_number=HZ-2026-000001]")
    assert "短信已发送" in logs.Formatter("notify", "json").format(record("短信已发送"))


def test_two_workers_at_once_never_see_each_others_case() -> None:
    seen: dict[str, str] = {}

    def worker(case: str) -> None:
        logs.clear()
        logs.bind(case_number=case)
        eventlet.sleep(0.01)  # the other worker runs meanwhile
        seen[case] = logs.current()["case_number"]

    pool = eventlet.GreenPool()
    for case in ("HZ-2026-000001", "GS-2026-000002"):
        pool.spawn(worker, case)
    pool.waitall()
    assert seen == {"HZ-2026-000001": "HZ-2026-000001", "GS-2026-000002": "GS-2026-000002"}


def test_a_typed_error_a_caller_was_answered_with_is_one_line_and_an_unexpected_one_keeps_its_traceback() -> None:
    from sunlight.errors import NotFound

    def raised(exc: Exception, message: str, level: int) -> logging.LogRecord:
        try:
            raise exc
        except Exception as caught:  # noqa: BLE001 - the record carries it, as nameko's does
            return logging.LogRecord("nameko.containers", level, __file__, 1, message,
                                     ("<WorkerContext [workflow.get_case]>", caught), sys.exc_info())

    expected = raised(NotFound("no case 'GS-2026-000003'", {"case_number": ["unknown case"]}),
                      logs.EXPECTED_ERROR, logging.WARNING)
    for style in ("plain", "json"):
        text = logs.Formatter("workflow", style).format(expected)
        assert "no case 'GS-2026-000003'" in text and "unknown case" in text and "Traceback" not in text
        assert "\\n" not in text and "\n" not in text
    unexpected = raised(RuntimeError("disk full"), "error handling worker %s: %s", logging.ERROR)
    assert "Traceback" in logs.Formatter("workflow", "plain").format(unexpected)
    assert expected.exc_info is not None  # the record itself is left as it was, for any other handler
