"""SMS over real SMPP 3.4 to a fake SMSC on localhost: Chinese text in UCS-2, long text in parts, receipts."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from notify import domain
from notify.providers import PermanentSendError, SmppProvider, TransientSendError
from tests.fake_smsc import FakeSmsc, running_smsc

PHONE = "13957112345"
LONG = ("【杭州市国土资源局】王小明您好：您申请的国有建设用地使用权首次登记已办结，"
        "证书编号浙(2026)杭州市不动产权第0000001号。请携带本人身份证件到杭州市民中心国土资源窗口（解放东路18号）领取。")


@pytest.fixture
def smsc(tmp_path: Path) -> Iterator[FakeSmsc]:
    with running_smsc(tmp_path / "smsc.jsonl", "--invalid-prefix", "170", "--undeliverable-prefix", "171") as fake:
        yield fake


def provider(smsc: FakeSmsc, receipts: list[domain.Receipt],
             password: str = "secret") -> SmppProvider:  # noqa: S107 - the fake SMSC's password
    return SmppProvider(host="127.0.0.1", port=smsc.port, system_id="sunlight", password=password,
                        source_addr="106900", on_receipt=receipts.append, timeout=5)


def wait_until(check: object, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def test_a_long_chinese_message_reaches_the_phone_whole_in_ucs2_parts_and_each_part_is_receipted(
        smsc: FakeSmsc) -> None:
    receipts: list[domain.Receipt] = []
    sms = provider(smsc, receipts)
    parts = domain.segments(LONG, reference=42)
    try:
        ids = [sms.submit(PHONE, part, 1) for part in parts]
        wait_until(lambda: len(receipts) == len(parts))
    finally:
        sms.close()
    assert len(parts) == 2 and len(LONG) > 70
    assert [r["data_coding"] for r in smsc.received()] == [8, 8]
    assert smsc.messages() == {PHONE: [[p.payload for p in parts]]}
    assert domain.reassemble(smsc.messages()[PHONE][0]) == LONG
    assert {r.provider_id for r in receipts} == set(ids) and all(r.delivered for r in receipts)


def test_an_invalid_number_is_refused_for_good_and_an_undeliverable_one_gets_a_failed_receipt(
        smsc: FakeSmsc) -> None:
    receipts: list[domain.Receipt] = []
    sms = provider(smsc, receipts)
    [part] = domain.segments("【拱墅区城市管理局】您的申请已受理。", reference=1)
    try:
        with pytest.raises(PermanentSendError, match="Invalid Destination Address"):
            sms.submit("17000000000", part, 1)
        provider_id = sms.submit("17100000000", part, 1)
        wait_until(lambda: receipts)
    finally:
        sms.close()
    assert receipts == [domain.Receipt(provider_id, "UNDELIV", "001")]
    assert [r["destination"] for r in smsc.received()] == ["17100000000"]


def test_throttling_is_transient_and_the_next_try_goes_through(tmp_path: Path) -> None:
    with running_smsc(tmp_path / "smsc.jsonl", "--throttle", "1") as smsc:
        sms = provider(smsc, [])
        [part] = domain.segments("您的申请已受理。", reference=1)
        try:
            with pytest.raises(TransientSendError, match="Throttling"):
                sms.submit(PHONE, part, 1)
            assert sms.submit(PHONE, part, 1)
        finally:
            sms.close()
        assert len(smsc.received()) == 1


def test_an_smsc_that_is_down_or_dies_mid_session_is_transient_and_the_provider_rebinds(smsc: FakeSmsc) -> None:
    sms = provider(smsc, [])
    [part] = domain.segments("您的申请已受理。", reference=1)
    try:
        sms.submit(PHONE, part, 1)
        smsc.kill()
        with pytest.raises(TransientSendError):
            sms.submit(PHONE, part, 2)
        smsc.start()
        sms.submit(PHONE, part, 2)
    finally:
        sms.close()
    assert len(smsc.received()) == 2


def test_a_resubmission_with_the_same_reference_after_a_lost_answer_is_taken_once(smsc: FakeSmsc) -> None:
    sms = provider(smsc, [])
    [part] = domain.segments("您的申请已受理。", reference=1)
    try:
        first = sms.submit(PHONE, part, 7)
        smsc.kill()  # as if the answer had been lost with the SMSC
        smsc.start()
        again = sms.submit(PHONE, part, 7)
    finally:
        sms.close()
    assert again == first
    assert len(smsc.received()) == 1


def test_a_wrong_password_is_transient_with_the_bind_failure_named(smsc: FakeSmsc) -> None:
    sms = provider(smsc, [], password="wrong")
    [part] = domain.segments("您的申请已受理。", reference=1)
    with pytest.raises(TransientSendError, match="cannot bind"):
        sms.submit(PHONE, part, 1)
    assert smsc.received() == []


def test_submits_share_the_session_up_to_its_window_and_never_beyond(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Twelve workers submitting at once on a window of three: three await the SMSC's answer, never four."""
    import eventlet
    import smpplib.client

    with running_smsc(tmp_path / "smsc.jsonl", "--answer-delay", "0.02") as smsc:
        sms = SmppProvider(host="127.0.0.1", port=smsc.port, system_id="sunlight", password="secret",  # noqa: S106
                           source_addr="106900", on_receipt=lambda _receipt: None, timeout=5, window=3)
        awaiting: list[int] = []
        send = smpplib.client.Client.send_pdu

        def counted(client: smpplib.client.Client, pdu: object) -> None:
            if getattr(pdu, "command", "") == "submit_sm":
                awaiting.append(len(sms._waiting))  # noqa: SLF001 - this submit included
            send(client, pdu)

        monkeypatch.setattr(smpplib.client.Client, "send_pdu", counted)
        [part] = domain.segments("您的申请已受理。", reference=1)
        try:
            ids = list(eventlet.GreenPool(12).imap(lambda n: sms.submit(f"139571{n:05d}", part, n), range(12)))
            nodelay = sms._client._socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)  # noqa: SLF001
        finally:
            sms.close()
    assert len(set(ids)) == 12 and len(smsc.received()) == 12
    assert max(awaiting) == 3
    assert nodelay  # a small submit_sm leaves at once, not after the SMSC's delayed ACK


def test_a_window_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="window"):
        SmppProvider(host="127.0.0.1", port=2775, system_id="sunlight", password="", source_addr="106900",
                     on_receipt=lambda _receipt: None, window=0)
