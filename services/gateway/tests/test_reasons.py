"""Field errors in Chinese on the pages: marshmallow's messages, the services' own, and anything else as written."""

from __future__ import annotations

import pytest
from marshmallow import Schema, ValidationError, fields, validate

from gateway import web
from gateway.reasons import in_chinese
from sunlight.errors import ValidationFailed


@pytest.mark.parametrize(("reason", "chinese"), [
    ("Missing data for required field.", "必填"),
    ("String does not match expected pattern.", "格式不正确"),
    ("Shorter than minimum length 1.", "必填"),
    ("Shorter than minimum length 2.", "不能少于 2 个字"),
    ("Longer than maximum length 100.", "不能超过 100 个字"),
    ("Length must be between 8 and 128.", "应为 8 至 128 个字"),
    ("Must be greater than or equal to 1 and less than or equal to 5.", "应不小于 1，且不大于 5"),
    ("Must be greater than or equal to 1.", "应不小于 1"),
    ("Must be one of: person, company.", "应为以下之一：person, company"),
    ("Not a valid integer.", "应为整数"),
    ("not a mainland mobile number (11 digits starting 13-19)", "不是有效的手机号码（应为 13 至 19 开头的 11 位数字）"),
    ("not a valid resident ID number (checksum)", "不是有效的居民身份证号码（校验位不符）"),
    ("missing: 宗地图", "缺少宗地图"),
    ("unknown tenant", "没有这个单位"),
])
def test_known_reasons_read_in_chinese(reason: str, chinese: str) -> None:
    assert in_chinese(reason) == chinese


@pytest.mark.parametrize("reason", ["some reason nobody translated", "", "Must be", "missing:"])
def test_an_unknown_reason_is_shown_as_written(reason: str) -> None:
    assert in_chinese(reason) == reason


class Complainant(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    mobile = fields.String(required=True, validate=validate.Regexp(r"^1[3-9][0-9]{9}$"))


def test_every_message_of_a_real_marshmallow_schema_is_translated_on_the_page() -> None:
    with pytest.raises(ValidationError) as raised:
        Complainant().load({"name": "x" * 101, "mobile": "12345", "age": 3})
    failed = ValidationFailed("invalid complaint", {"complainant": raised.value.messages})
    shown = web.field_errors(failed, {"complainant.name": "姓名", "complainant.mobile": "手机号码"})
    assert shown == {"姓名": "应为 1 至 100 个字", "手机号码": "格式不正确", "complainant.age": "不是可填写的项目"}
    assert failed.to_dict()["fields"]["complainant"]["mobile"] == ["String does not match expected pattern."]
