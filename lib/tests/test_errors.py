"""Typed errors cross RPC intact: the caller catches the same class, message and fields.

nameko serializes a worker's exception into the reply and the caller deserializes it; a class that
is not registered comes back as a bare RemoteError, which the gateway could not map to a 4xx.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from nameko.exceptions import RemoteError, deserialize, serialize

from sunlight import errors
from sunlight.errors import (
    CalendarUnknownYear,
    Conflict,
    Forbidden,
    IncompleteApplication,
    NotFound,
    NotGenuine,
    PermanentFailure,
    SunlightError,
    Unavailable,
    UnknownItem,
    ValidationFailed,
)

EVERY_ERROR = [
    SunlightError,
    ValidationFailed,
    IncompleteApplication,
    NotFound,
    UnknownItem,
    Forbidden,
    Conflict,
    CalendarUnknownYear,
    PermanentFailure,
    NotGenuine,  # issue 6: registry's public verification
    Unavailable,  # a service behind the one called did not answer (supervision asking intake for a query code)
]


def over_rpc(exc: Exception) -> Any:
    """What the RPC caller gets back: the reply's error, after a JSON trip through the broker."""
    return deserialize(json.loads(json.dumps(serialize(exc))))


def test_every_error_class_is_listed_here() -> None:
    shared = {
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, SunlightError)
    }

    assert shared == set(EVERY_ERROR)


@pytest.mark.parametrize("error_class", EVERY_ERROR, ids=lambda cls: cls.__name__)
def test_the_caller_gets_the_same_class_with_message_and_fields(error_class: type[SunlightError]) -> None:
    raised = error_class("the case is closed", {"case_number": ["closed on 2025-03-14"]})

    received = over_rpc(raised)

    assert type(received) is error_class
    assert received.message == "the case is closed"
    assert received.fields == {"case_number": ["closed on 2025-03-14"]}
    assert received.code == error_class.code
    assert received.to_dict() == raised.to_dict()


def test_the_one_time_notice_keeps_every_missing_material_and_field() -> None:
    notice = IncompleteApplication(
        "the application is incomplete",
        {
            "materials": {"site-photo": ["missing"], "lease": ["expired"]},
            "form": {"sign_area": ["must be at most 20"], "address": ["required"]},
        },
    )

    received = over_rpc(notice)

    assert isinstance(received, ValidationFailed)
    assert received.fields == notice.fields
    assert received.to_dict() == {
        "error": "incomplete_application",
        "message": "the application is incomplete",
        "fields": notice.fields,
    }


def test_an_error_without_fields_comes_back_with_empty_fields() -> None:
    received = over_rpc(NotFound("no application 'XZ-2025-000009'"))

    assert type(received) is NotFound
    assert received.fields == {}
    assert str(received) == "no application 'XZ-2025-000009'"


def test_the_caller_can_catch_by_the_base_class() -> None:
    with pytest.raises(NotFound) as caught:
        raise over_rpc(UnknownItem("no such item", {"item_code": ["not in the catalogue"]}))

    assert caught.value.code == "unknown_item"


def test_an_error_that_is_not_ours_stays_a_remote_error() -> None:
    received = over_rpc(KeyError("tenant"))

    assert isinstance(received, RemoteError)
    assert received.exc_type == "KeyError"


def test_the_error_as_a_client_sees_it() -> None:
    refused = Forbidden("task of another post", {"post": ["reviewer only"]})

    assert refused.to_dict() == {
        "error": "forbidden",
        "message": "task of another post",
        "fields": {"post": ["reviewer only"]},
    }
    assert str(refused) == "task of another post {'post': ['reviewer only']}"
