"""What crosses supervision's RPC boundary in: urging notices and delay reasons."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from sunlight.mobiles import mobile_field


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class UrgeRequest(_Strict):
    """The supervising post orders a late case or stage finished within ``working_days``."""

    case_number = fields.String(required=True)
    target = fields.String(load_default="case")  # "case" or a task id
    urged_by = fields.String(required=True, validate=validate.Length(min=1, max=128))
    working_days = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=30))
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class DelayReasonRequest(_Strict):
    """The post owning a late case or stage says why it is late (延期说明)."""

    case_number = fields.String(required=True)
    target = fields.String(load_default="case")
    post = fields.String(required=True, validate=validate.Length(min=1, max=128))
    reason = fields.String(required=True, validate=validate.Length(min=2, max=2000))


class RatingRequest(_Strict):
    """每事一卡: the applicant's rating of a completed case, proved by the receipt's query code."""

    application_number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    query_code = fields.String(required=True, validate=validate.Length(min=1, max=16))
    level = fields.Raw(required=True)  # checked by the domain, which names the allowed levels
    comment = fields.String(load_default="")


class StatisticsRequest(_Strict):
    """Which figures: one tenant or all, over dates (both included) or a quarter such as ``2026Q4``."""

    tenant = fields.String(load_default=None, allow_none=True)
    period_from = fields.Date(load_default=None, allow_none=True)
    period_to = fields.Date(load_default=None, allow_none=True)
    quarter = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^(19|20)\d{2}Q[1-4]$"))


class ViolationsRequest(_Strict):
    tenant = fields.String(load_default=None, allow_none=True)


class ViolationListRequest(ViolationsRequest):
    """The public list leaves withdrawn violations out; supervisors and inspectors ask for them too."""

    include_withdrawn = fields.Boolean(load_default=False)
    #: only those raised at least this long ago: the public list waits for late-delivered events first
    settled_seconds = fields.Integer(load_default=0, validate=validate.Range(min=0))


class Complainant(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    mobile = mobile_field()


class ComplaintRequest(_Strict):
    """信访 filed online: who, about what, optionally about which case."""

    tenant = fields.String(required=True)
    complainant = fields.Nested(Complainant, required=True)
    subject = fields.String(required=True, validate=validate.Length(min=2, max=200))
    text = fields.String(required=True, validate=validate.Length(min=2, max=5000))
    case_number = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))


class ResolveComplaintRequest(_Strict):
    number = fields.String(required=True)
    post = fields.String(required=True, validate=validate.Length(min=1, max=128))
    answer = fields.String(required=True, validate=validate.Length(min=2, max=5000))


class LightsRequest(_Strict):
    """Which lights the board shows: one tenant or all, narrowed to a department, a post or a colour."""

    tenant = fields.String(load_default=None, allow_none=True)
    department = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))
    post = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=128))
    level = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["prompt", "yellow", "red"]))
