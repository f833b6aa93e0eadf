"""A rating or a status lookup proves the receipt's query code with intake, which issued it (the audit trail
keeps none): intake's answer decides, and intake not answering is a typed 'try again', never a guess."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import eventlet
import pytest
from nameko.exceptions import UnknownService
from nameko.testing.services import worker_factory

from sunlight.calendar import SHANGHAI
from sunlight.contracts import APPLICATION_ACCEPTED, new_event
from sunlight.db import Store
from sunlight.errors import Conflict, NotFound, Unavailable
from supervision import audit_log
from supervision.domain import ratings, status
from supervision.models import metadata
from supervision.service import SupervisionService
from supervision.settings import MIGRATIONS

NUMBER = "GS-2026-000777"


class Intake:
    """intake.get_application as the broker would answer it: a receipt, NotFound, or nobody there."""

    def __init__(self, answer: dict[str, Any] | BaseException) -> None:
        self.answer = answer

    def get_application(self, number: str) -> dict[str, Any]:
        if isinstance(self.answer, BaseException):
            raise self.answer
        return {**self.answer, "application_number": number}


@pytest.fixture
def store(make_store: Callable[..., Store]) -> Store:
    store = make_store(metadata, MIGRATIONS, "supervision")
    accepted = new_event(APPLICATION_ACCEPTED, NUMBER, {
        "application_number": NUMBER, "item_code": "GS-CG-0201", "item_name": "户外招牌设置审批", "tenant": "gs-city",
        "process": "handle-approve", "applicant": {"name": "王芳", "mobile": "13957112345"},
        "accepted_at": datetime(2026, 11, 23, 9, tzinfo=SHANGHAI), "promised_date": date(2026, 12, 7),
        "certificate_kind": "permit", "query_code": "482913"}, datetime(2026, 11, 23, 9, tzinfo=SHANGHAI))
    with store.unit_of_work() as uow:
        audit_log.append_event(uow.session, accepted.to_message())
    return store


def supervision(store: Store, intake: Intake) -> Any:
    return worker_factory(SupervisionService, db=store, intake=intake)


def test_the_code_intake_issued_opens_the_status_and_any_other_gets_the_unknown_numbers_words(store: Store) -> None:
    seen = supervision(store, Intake({"query_code": "482913"})).public_status(NUMBER, "482913")
    assert seen["application_number"] == NUMBER and seen["applicant"] == "王*"
    with pytest.raises(NotFound) as wrong:
        supervision(store, Intake({"query_code": "482913"})).public_status(NUMBER, "482914")
    with pytest.raises(NotFound) as unknown:
        supervision(store, Intake(NotFound("no application"))).public_status(NUMBER, "482913")
    assert wrong.value.args[0] == unknown.value.args[0] == status.NOT_FOUND


def test_a_rating_with_a_wrong_code_is_refused_before_anything_is_written(store: Store) -> None:
    with pytest.raises(NotFound) as wrong:
        supervision(store, Intake({"query_code": "482913"})).rate_case(
            {"application_number": NUMBER, "query_code": "000000", "level": 1})
    assert wrong.value.args[0] == ratings.UNKNOWN
    with store.read() as session:
        assert [e["event_type"] for e in audit_log.case_events(session, NUMBER)] == [APPLICATION_ACCEPTED]


def test_a_rating_with_the_right_code_before_supervision_recorded_the_case_is_not_completed_yet(store: Store) -> None:
    early = "GS-2026-000778"  # intake accepted it and issued the code; its acceptance has not reached supervision
    with pytest.raises(Conflict, match="not completed yet"):
        supervision(store, Intake({"query_code": "135790"})).rate_case(
            {"application_number": early, "query_code": "135790", "level": 5})
    with pytest.raises(NotFound) as wrong:  # the wrong code for it is still refused as for no such number
        supervision(store, Intake({"query_code": "135790"})).rate_case(
            {"application_number": early, "query_code": "000000", "level": 5})
    assert wrong.value.args[0] == ratings.UNKNOWN
    with store.read() as session:
        assert audit_log.case_events(session, early) == []


@pytest.mark.parametrize("silence", [UnknownService("intake"), eventlet.Timeout(None)],
                         ids=["intake not running", "intake too slow"])
def test_intake_not_answering_is_try_again_not_a_wrong_code(store: Store, silence: BaseException) -> None:
    with pytest.raises(Unavailable, match="try again"):
        supervision(store, Intake(silence)).public_status(NUMBER, "482913")
