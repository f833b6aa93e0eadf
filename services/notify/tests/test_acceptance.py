"""The acceptance SMS (受理短信) and the query code intake seals for it (sunlight.seals)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from unittest.mock import Mock

import pytest
from nameko import config
from nameko.testing.services import worker_factory
from prometheus_client import REGISTRY

from notify.service import NotifyService
from sunlight import seals
from sunlight.contracts import APPLICATION_ACCEPTED, new_event

NUMBER = "HZ-2026-000001"
CODE = "739514"


def accepted(**payload: Any) -> dict[str, Any]:
    event = new_event(APPLICATION_ACCEPTED, NUMBER, {
        "application_number": NUMBER, "item_code": "HZ-DJ-0201", "item_name": "不动产抵押权首次登记",
        "tenant": "hz-land", "process": "land-registration", "applicant": {"name": "王小明", "mobile": "13957112345"},
        "accepted_at": datetime(2026, 11, 23, 2, tzinfo=UTC), "promised_date": date(2026, 11, 30),
        "certificate_kind": "certificate", **payload}, datetime(2026, 11, 23, 2, tzinfo=UTC))
    return {**event.to_message(), "source": "intake"}


def texted(body: dict[str, Any], seal_key: str) -> Any:
    """What the handler hands the message store for ``body``, with notify holding ``seal_key``."""
    stored = Mock(return_value=None)  # stored, not due now: nothing goes to an SMSC here
    with config.patch({"QUERY_CODE_SEAL_KEY": seal_key}):
        worker_factory(NotifyService, stored=stored).on_application_accepted(body)
    [(message,), _] = stored.call_args
    return message.rendered


def broken_seals() -> float:
    return REGISTRY.get_sample_value("sunlight_query_code_seals_broken_total") or 0.0


def test_the_applicant_is_texted_the_code_intake_sealed() -> None:
    rendered = texted(accepted(sealed_query_code=seals.seal(b"intake and notify", NUMBER, CODE)), "intake and notify")
    assert rendered.template == "application_received_with_code"
    assert f"查询码{CODE}" in rendered.text and CODE not in rendered.shown


@pytest.mark.parametrize("notify_key", ["notify's other key", ""])
def test_a_seal_notify_cannot_open_still_tells_the_applicant_and_raises_the_alert(notify_key: str) -> None:
    before = broken_seals()
    rendered = texted(accepted(sealed_query_code=seals.seal(b"intake's key", NUMBER, CODE)), notify_key)
    assert rendered.template == "application_received"  # accepted, the code on the receipt
    assert NUMBER in rendered.text and CODE not in rendered.text
    assert broken_seals() == before + 1


def test_without_a_code_in_the_event_the_sms_points_to_the_receipt() -> None:
    before = broken_seals()
    assert texted(accepted(), "intake and notify").template == "application_received"
    assert broken_seals() == before  # nothing was sealed: nothing to alert about
