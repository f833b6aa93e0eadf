"""SMS end to end over real SMPP 3.4: the five services as processes, notify bound to a fake SMSC on localhost.

What a phone receives is read from the SMSC's own journal (every submit_sm it accepted, reassembled
from its UCS-2 parts), not from notify: exactly one completion SMS with the right text, a refused
number failed with its reason, and an SMSC killed mid-run loses nothing and duplicates nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from notify import domain
from tests.fake_smsc import FakeSmsc, as_kept, running_smsc
from tests.integration.support import metric, query
from tools.drive import drive_one, sample_application, wait_for
from tools.stack import Stack, running_stack

pytestmark = pytest.mark.integration
REFUSED_PREFIX = "1399"  # the fake SMSC answers ESME_RINVDSTADR for these numbers


@pytest.fixture(scope="module")
def smsc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeSmsc]:
    journal = tmp_path_factory.mktemp("smsc") / "accepted.jsonl"
    # the first two submits are throttled: every later assertion also proves they were retried
    with running_smsc(journal, "--throttle", "2", "--invalid-prefix", REFUSED_PREFIX) as fake:
        yield fake


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          smsc: FakeSmsc) -> Iterator[Stack]:
    run_dir: Path = tmp_path_factory.mktemp(f"sms-stack-{request.param}")
    smsc.kill()  # each backend starts with an empty SMSC journal and the throttling again
    smsc.journal.unlink(missing_ok=True)
    smsc.start()
    env = {"EVENT_RETRY_DELAY_MS": "100", "SMS_PROVIDER": "smpp", "SMPP_HOST": "127.0.0.1",
           "SMPP_PORT": str(smsc.port), "SMPP_SYSTEM_ID": "sunlight", "SMPP_PASSWORD": "secret",
           "SMS_RETRY_BASE_MS": "200", "SMS_RETRY_CAP_SECONDS": "2"}
    with running_stack(run_dir, backend=request.param, extra_env=env) as running:
        yield running
        for service in running.processes:
            assert running.processes[service].poll() is None, running.log(service)


def phone_inbox(smsc: FakeSmsc, mobile: str) -> list[str]:
    """The texts a phone shows, each reassembled from its parts."""
    return [domain.reassemble(parts) for parts in smsc.messages().get(mobile, [])]


def messages(stack: Stack, number: str, template: str) -> list[Any]:
    return query(stack, "notify", "SELECT id, status, text, error, attempts FROM messages "
                 "WHERE case_number = :n AND template = :t", n=number, t=template)


def test_a_completed_case_gives_the_applicant_exactly_one_completion_sms_with_the_right_text(
        stack: Stack, rpc: Any, smsc: FakeSmsc) -> None:
    application = sample_application(10)  # large-parcel land registration, Hangzhou
    mobile = application["applicant"]["mobile"]
    outcome = drive_one(rpc, application)
    number = outcome.number

    [completion] = wait_for(lambda: [m for m in messages(stack, number, "certificate_issued")
                                     if m.status == "delivered"] or None,
                            timeout=30, what="the delivery receipt of the completion SMS")
    inbox = phone_inbox(smsc, mobile)
    assert inbox.count(completion.text) == 1
    assert completion.text.startswith("【杭州市国土资源局】")
    assert outcome.certificate["number"] in completion.text and "杭州市民中心国土资源窗口" in completion.text
    assert len(completion.text) > 70  # so it went as concatenated UCS-2 parts and was reassembled
    # the acceptance SMS went too (a throttled first submit may retry after the completion), and nothing else
    [received] = wait_for(lambda: [m for m in messages(stack, number, "application_received_with_code")
                                   if m.status in ("sent", "delivered")] or None,
                          timeout=30, what="the acceptance SMS")
    inbox = wait_for(lambda: (lambda got: got if len(got) >= 2 else None)(phone_inbox(smsc, mobile)),
                     timeout=30, what="both SMS on the phone")
    assert sorted(as_kept(text) for text in inbox) == sorted([received.text, completion.text])
    assert "已受理" in received.text and number in received.text
    # the phone has the code the applicant needs to follow the case online; notify keeps it no longer
    assert any(outcome.receipt["query_code"] in text for text in inbox)
    assert outcome.receipt["query_code"] not in received.text and "查询码******" in received.text

    trail = wait_for(lambda: [e["event_type"] for e in rpc.supervision.case_audit_trail(number)
                              if e["event_type"].startswith("sms.")].count("sms.delivered") >= 2 or None,
                     timeout=15, what="the receipts to be audited")
    assert trail
    assert metric(stack, "notify", "sunlight_sms_delivered_total", provider="smpp",
                  template="certificate_issued") >= 1
    assert metric(stack, "notify", "sunlight_sms_retried_total", provider="smpp", reason="throttled") >= 1


def test_a_number_the_smsc_refuses_fails_once_with_the_reason_and_is_not_retried(
        stack: Stack, rpc: Any, smsc: FakeSmsc) -> None:
    application = sample_application(11)
    application["applicant"]["mobile"] = f"{REFUSED_PREFIX}0571011"
    number = rpc.intake.submit_application(application)["application_number"]

    [failed] = wait_for(lambda: [m for m in messages(stack, number, "application_received_with_code")
                                 if m.status == "failed"] or None,
                        timeout=20, what="the refused SMS to be failed")
    assert "Invalid Destination Address" in failed.error and failed.attempts == 1
    assert phone_inbox(smsc, application["applicant"]["mobile"]) == []
    wait_for(lambda: "sms.failed" in [e["event_type"] for e in rpc.supervision.case_audit_trail(number)] or None,
             timeout=15, what="sms.failed to be audited")


def test_an_smsc_killed_mid_run_and_brought_back_loses_no_sms_and_sends_none_twice(
        stack: Stack, rpc: Any, smsc: FakeSmsc) -> None:
    applications = [sample_application(i) for i in range(20, 28)]
    numbers = []
    for index, application in enumerate(applications):
        if index == 3:
            smsc.kill()
        numbers.append(rpc.intake.submit_application(application)["application_number"])
    time.sleep(1.5)  # notify meets a dead SMSC and backs off
    put_off = [m for n in numbers[3:] for m in messages(stack, n, "application_received_with_code")]
    assert len(put_off) == 5 and all(m.status in ("pending", "sending") for m in put_off)
    assert any("cannot bind to SMSC" in (m.error or "") for m in put_off)
    smsc.start()

    # a receipt the SMSC owed when it was killed died with it: "sent" is as far as such a message gets
    wait_for(lambda: all(m.status in ("sent", "delivered") for n in numbers
                         for m in messages(stack, n, "application_received_with_code")) or None,
             timeout=45, what="every acceptance SMS to be taken by the SMSC after it came back")
    for number, application in zip(numbers, applications, strict=True):
        [sms] = messages(stack, number, "application_received_with_code")
        assert [as_kept(text) for text in phone_inbox(smsc, application["applicant"]["mobile"])].count(sms.text) == 1, \
            number
    accepted = [r for r in smsc.received() if r["destination"] in {a["applicant"]["mobile"] for a in applications}]
    received = [m for n in numbers for m in messages(stack, n, "application_received_with_code")]
    parts = sum(len(domain.segments(m.text, 0)) for m in received)
    assert len(accepted) == parts  # not one part more: nothing went twice
