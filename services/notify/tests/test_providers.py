"""What leaves notify besides the SMS itself shows phone numbers masked (138****0000)."""

from __future__ import annotations

import logging

import pytest

from notify import domain
from notify.providers import LogProvider, SmppProvider, provider_from
from sunlight.contracts import mask_mobile


@pytest.mark.parametrize(("mobile", "shown"), [
    ("13800571234", "138****1234"),
    ("19957112345", "199****2345"),
    ("123456", "******"),
    ("", ""),
])
def test_a_mobile_is_masked_to_its_first_three_and_last_four_digits(mobile: str, shown: str) -> None:
    assert mask_mobile(mobile) == shown


def test_the_log_provider_logs_the_text_with_the_phone_masked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="notify.providers")
    provider = LogProvider()
    [part] = domain.segments("【拱墅区城市管理局】您申请的户外招牌设置审批已办结。", reference=1)
    first, second = provider.submit("13957112345", part, 1), provider.submit("13957112345", part, 2)
    assert first.startswith("log-") and first != second
    assert "139****2345" in caplog.text
    assert "13957112345" not in caplog.text
    assert "户外招牌设置审批已办结" in caplog.text


def test_an_unknown_provider_is_a_configuration_error_naming_it() -> None:
    assert provider_from({}, print).name == "log"
    smpp = provider_from({"SMS_PROVIDER": "smpp", "SMPP_HOST": "10.0.0.9", "SMPP_PORT": "2776"}, print)
    assert isinstance(smpp, SmppProvider) and (smpp.host, smpp.port) == ("10.0.0.9", 2776)
    with pytest.raises(ValueError, match="'aliyun'"):
        provider_from({"SMS_PROVIDER": "aliyun"}, print)
