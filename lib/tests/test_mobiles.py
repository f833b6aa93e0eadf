"""One rule for a mobile number wherever one comes in: the whole text, 11 digits starting 13-19."""

from __future__ import annotations

import pytest
from marshmallow import Schema, ValidationError

from sunlight.mobiles import REASON, is_mobile, mobile_field


class Contact(Schema):
    mobile = mobile_field()


@pytest.mark.parametrize("text", ["13800138000", "19912345678", "15000000000"])
def test_a_mainland_mobile_is_taken(text: str) -> None:
    assert is_mobile(text)
    assert Contact().load({"mobile": text}) == {"mobile": text}


@pytest.mark.parametrize("text", ["13800138000\n", " 13800138000", "12800138000", "1380013800", "138001380001",
                                  "１３８００１３８０００", "+8613800138000", "", "1380013800x"])
def test_anything_else_is_refused_naming_the_field_and_the_reason(text: str) -> None:
    assert not is_mobile(text)
    with pytest.raises(ValidationError) as refused:
        Contact().load({"mobile": text})
    assert refused.value.messages == {"mobile": [REASON]}


def test_a_number_that_is_not_text_is_not_a_mobile() -> None:
    assert not is_mobile(13800138000)
    assert not is_mobile(None)
