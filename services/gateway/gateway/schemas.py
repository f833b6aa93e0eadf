"""What crosses the HTTP wire: request and response shapes, for validation and for /openapi.json."""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class _Answer(Schema):
    """A response: documented fields are promised, others may be added (no additionalProperties: false)."""

    class Meta:
        unknown = EXCLUDE


class ErrorSchema(_Answer):
    error = fields.String(metadata={"description": "machine-readable code, e.g. incomplete_application"})
    message = fields.String()
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.List(fields.String()),
                          metadata={"description": "every bad field and why, at once (一次性告知)"})


class ItemSchema(_Answer):
    code = fields.String()
    power_code = fields.String(metadata={"description": "the item's code in the provincial list of powers"})
    name = fields.String()
    category = fields.String()
    kind = fields.String()
    risk_level = fields.Integer()
    tenant = fields.String()
    promised_days = fields.Integer()
    statutory_days = fields.Integer()
    materials = fields.List(fields.String())


class ApplicantSchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=validate.OneOf(["person", "company"]))
    id_number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    mobile = fields.String(required=True, validate=validate.Length(min=1, max=20))


class ApplicationRequestSchema(_Strict):
    """The shape of an application; intake checks its content (materials due, IDs, form fields)."""

    item_code = fields.String(required=True)
    applicant = fields.Nested(ApplicantSchema, required=True)
    materials = fields.Dict(keys=fields.String(), values=fields.Raw(),
                            metadata={"description": "material code → sha256 of the file, or {sha256, size_bytes}"})
    form = fields.Dict(metadata={"description": "the item's form fields (GET /api/items/{code} lists them)"})
    channel = fields.String(validate=validate.OneOf(["online", "counter"]))
    clerk_id = fields.String(metadata={"description": "required at the counter: the clerk taking it"})
    tenant = fields.String()
    fees = fields.List(fields.String(), metadata={"description": "codes of the optional fees that apply"})


class ReceiptSchema(_Answer):
    application_number = fields.String()
    query_code = fields.String()
    item_code = fields.String()
    item_name = fields.String()
    tenant = fields.String()
    accepted_at = fields.String()
    promised_date = fields.String()
    materials_received = fields.List(fields.String())


class StatusSchema(_Answer):
    application_number = fields.String()
    item_name = fields.String()
    received_at = fields.String()
    promised_date = fields.String()
    status = fields.String()
    current_stage = fields.String(allow_none=True)
    certificate_number = fields.String(allow_none=True)


class TaskSchema(_Answer):
    task_id = fields.String()
    case_number = fields.String()
    stage = fields.String()
    post = fields.String()
    status = fields.String()
    opened_at = fields.String()
    due_at = fields.String()


class DecisionSchema(_Strict):
    post = fields.String(required=True)
    actor = fields.String(metadata={"description": "ignored: the actor is the signed-in user"})
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    opinion = fields.String()


class DecisionResultSchema(_Answer):
    case_number = fields.String()
    status = fields.String()
    open_tasks = fields.List(fields.String())


class CertificateSchema(_Answer):
    number = fields.String()
    kind = fields.String()
    item_name = fields.String()
    holder_name = fields.String(metadata={"description": "masked"})
    issued_at = fields.String()


class RatingRequestSchema(_Strict):
    application_number = fields.String(required=True)
    query_code = fields.String(required=True)
    level = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5),
                           metadata={"description": "1 很不满意 … 5 非常满意"})
    comment = fields.String(validate=validate.Length(max=500))


class RatingSchema(_Answer):
    application_number = fields.String()
    level = fields.Integer()
    rectification_due = fields.String(allow_none=True, metadata={"description": "set for a bad rating (1 or 2)"})


class SignInSchema(_Strict):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class SessionSchema(_Answer):
    token = fields.String(metadata={"description": "send as Authorization: Bearer <token>"})
    token_type = fields.String()
    expires_in = fields.Integer()
    username = fields.String()
    role = fields.String()
    tenant = fields.String(allow_none=True)
    posts = fields.List(fields.String())


class CaseSchema(_Answer):
    case_number = fields.String()
    item_code = fields.String()
    item_name = fields.String()
    tenant = fields.String()
    status = fields.String()
    promised_date = fields.String()
    tasks = fields.List(fields.Dict(), metadata={"description": "every task: stage, post, times, actor, opinion"})
