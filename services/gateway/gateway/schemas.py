"""What crosses the HTTP wire: request and response shapes, for validation and for /openapi.json."""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from sunlight.contracts import INBOX_PAGE_MAX
from sunlight.mobiles import mobile_field


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
    status = fields.String(metadata={"description": "accepted (received, not routed to the departments yet), "
                                                    "open, returned, suspended, approved, rejected or withdrawn"})
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


# --- payments, supervision, complaints, discipline inspection -----------------------------------------

class PaymentRequestSchema(_Strict):
    """The window records one listed fee as paid; the clerk is whoever signed in."""

    fee_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    amount_fen = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=10**12),
                                metadata={"description": "in fen (分): 550.00 元 is 55000"})


class PaymentSchema(_Answer):
    id = fields.Integer()
    fee_code = fields.String()
    amount_fen = fields.Integer()
    clerk = fields.String()
    paid_at = fields.String()
    certificate_number = fields.String(allow_none=True, metadata={"description": "issued by this payment, if any"})


COLOURS = ["prompt", "yellow", "red"]


class LightsQuerySchema(_Strict):
    tenant = fields.String(validate=validate.Length(min=1, max=32),
                           metadata={"description": "inspectors only may ask another tenant; omitted: all"})
    department = fields.String(validate=validate.Length(min=1, max=64))
    post = fields.String(validate=validate.Length(min=1, max=128))
    colour = fields.String(validate=validate.OneOf(COLOURS), metadata={"description": "提醒 · 黄牌 · 红牌"})


class InboxQuerySchema(_Strict):
    post = fields.String(validate=validate.Length(min=1, max=128),
                         metadata={"description": "tenant/department/role; omitted: the signed-in person's first post"})
    limit = fields.Integer(validate=validate.Range(min=1, max=INBOX_PAGE_MAX),
                           metadata={"description": "at most this many tasks (a page); omitted: all of them"})
    after = fields.String(validate=validate.Length(min=1, max=128),
                          metadata={"description": "the task_id of the last task of the previous page"})


class ViolationsQuerySchema(_Strict):
    tenant = fields.String(validate=validate.Length(min=1, max=32),
                           metadata={"description": "inspectors only may ask another tenant; omitted: all"})


class LightSchema(_Answer):
    case_number = fields.String()
    target = fields.String(metadata={"description": "case, or the task id of a stage"})
    stage = fields.String()
    post = fields.String()
    tenant = fields.String()
    level = fields.String()
    due_at = fields.String()
    raised_at = fields.String()
    case_state = fields.String()


class StatisticsQuerySchema(_Strict):
    tenant = fields.String(validate=validate.Length(min=1, max=32))
    quarter = fields.String(validate=validate.Regexp(r"^(19|20)\d{2}Q[1-4]$"), metadata={"description": "2026Q4"})
    period_from = fields.Date(data_key="from")
    period_to = fields.Date(data_key="to")
    format = fields.String(validate=validate.OneOf(["json", "csv"]),
                           metadata={"description": "csv: the same figures as CSV (or send Accept: text/csv)"})


class StatisticsRowSchema(_Answer):
    dimension = fields.String(metadata={"description": "post, department, item or tenant"})
    key = fields.String()
    tenant = fields.String()
    cases_handled = fields.Integer()
    stages = fields.Dict()
    on_time_rate = fields.Float(allow_none=True)
    lights = fields.Dict()
    ratings = fields.Dict()
    grade = fields.String(metadata={"description": "assessment grade, for posts and departments"})


class ComplainantSchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    mobile = mobile_field()


class ComplaintRequestSchema(_Strict):
    """信访 online: to which bureau or town office, by whom, about what (optionally about a case)."""

    tenant = fields.String(required=True, validate=validate.Length(min=1, max=32))
    complainant = fields.Nested(ComplainantSchema, required=True)
    subject = fields.String(required=True, validate=validate.Length(min=2, max=200))
    text = fields.String(required=True, validate=validate.Length(min=2, max=5000))
    case_number = fields.String(validate=validate.Length(min=1, max=32))


class ComplaintReceiptSchema(_Answer):
    number = fields.String()
    query_code = fields.String(metadata={"description": "shown once: with the number, follows the complaint"})
    deadline = fields.String()


class ComplaintStatusSchema(_Answer):
    number = fields.String()
    tenant = fields.String()
    subject = fields.String()
    complainant = fields.Dict(metadata={"description": "name and mobile, masked"})
    filed_at = fields.String()
    deadline = fields.String()
    resolved_at = fields.String(allow_none=True)
    light = fields.String()
    answer = fields.String(allow_none=True)


class UrgeRequestSchema(_Strict):
    """督办: order an overdue case or stage finished within some working days; the post is the supervisor's."""

    target = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "case or a task id"})
    working_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=30))
    note = fields.String(validate=validate.Length(max=2000))


class UrgingSchema(_Answer):
    case_number = fields.String()
    target = fields.String()
    deadline = fields.String()


class DelayReasonRequestSchema(_Strict):
    """延期说明: the post answerable for an overdue case or stage says why, once."""

    post = fields.String(required=True, validate=validate.Length(min=1, max=128))
    target = fields.String(validate=validate.Length(min=1, max=64))
    reason = fields.String(required=True, validate=validate.Length(min=2, max=2000))


class DelayReasonSchema(_Answer):
    case_number = fields.String()
    target = fields.String()
    reason = fields.String()


class InspectedCaseSchema(_Answer):
    case_number = fields.String()
    tenant = fields.String()
    item_code = fields.String()
    state = fields.String()
    deadline = fields.String(allow_none=True)
    lights = fields.List(fields.Dict())
    violations = fields.List(fields.Dict())


class AuditRecordSchema(_Answer):
    seq = fields.Integer()
    event_type = fields.String()
    source = fields.String()
    occurred_at = fields.String()
    payload = fields.Dict(allow_none=True)
    hash = fields.String()


class ViolationSchema(_Answer):
    case_number = fields.String()
    tenant = fields.String()
    kind = fields.String()
    target = fields.String()
    evidence = fields.Raw(metadata={"description": "the audit records that prove it"})
    detail = fields.String()
    raised_at = fields.String()
    withdrawn = fields.Boolean(metadata={"description": "disproved by a record delivered late; never published"})
    withdrawn_at = fields.String(allow_none=True)
    withdrawal_evidence = fields.Raw(metadata={"description": "the audit records that disproved it"})
    withdrawal_detail = fields.String()


class ChainVerificationSchema(_Answer):
    ok = fields.Boolean()
    records = fields.Integer()
    first_broken_seq = fields.Integer(allow_none=True)
    first_broken_event_id = fields.String(allow_none=True)
    reason = fields.String()
