"""Payload schemas: what each event's payload holds, one marshmallow schema per event type.

Event names, their publishers and which schema each one uses are registered in ``sunlight.events``;
the envelope around a payload (event id, time, version) and the validation of whole messages live in
``sunlight.contracts``, which re-exports this module and ``sunlight.events`` for every importer.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from sunlight.mobiles import mobile_field

#: payload fields that are the applicant's credentials (the query code on the receipt): an event carries one
#: to the service that sends it on (notify texts it), and no service keeps or shows it (supervision's trail,
#: notify's stored and shown texts). Intake sends the code sealed for notify (sunlight.seals); ``query_code``
#: in clear is what intakes before the seal sent, still read during an upgrade.
CREDENTIALS = frozenset({"query_code", "sealed_query_code"})


class _Payload(Schema):
    """A tolerant reader: a field this version does not know is left out, not refused.

    During a rolling upgrade a newer publisher adds an optional field before every consumer knows it;
    refused, its events would go to the dead-letter queue of every older consumer. The publisher is the
    strict side: ``Event.to_message`` refuses a field the schema does not declare, so nothing undeclared
    (an ID number, say) leaves a service by mistake.
    """

    class Meta:
        unknown = EXCLUDE


class ApplicantContact(_Payload):
    """Who to tell: the applicant's display name and mobile number."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    mobile = mobile_field()


class ApplicationAccepted(_Payload):
    application_number = fields.String(required=True)
    item_code = fields.String(required=True)
    item_name = fields.String(required=True)
    tenant = fields.String(required=True)
    process = fields.String(required=True)
    applicant = fields.Nested(ApplicantContact, required=True)
    accepted_at = fields.AwareDateTime(required=True)
    promised_date = fields.Date(required=True)
    certificate_kind = fields.String(required=True)
    fees_due = fields.List(fields.Dict(), load_default=list)
    #: the application form as submitted (project code, parcel ...); optional, added by issue 6
    form = fields.Dict(load_default=dict)
    #: the query code in clear, as intakes before the seal sent it; read by notify, never sent any more
    query_code = fields.String(load_default=None)
    #: the query code sealed for notify's acceptance SMS (sunlight.seals); absent when intake has no seal key
    sealed_query_code = fields.String(allow_none=True)
    #: HMAC of the query code under QUERY_CODE_KEY (sunlight.querycodes); optional, added by issue 11
    query_code_digest = fields.String(allow_none=True)  # optional: absent from events of older intakes
    #: which series a permit is numbered in (招牌, 广告, 渣土 ...); empty for titles
    permit_series = fields.String(load_default="")


class CaseOpened(_Payload):
    item_code = fields.String(required=True)
    tenant = fields.String(required=True)
    definition = fields.String(required=True)
    definition_version = fields.Integer(required=True)


class TaskCreated(_Payload):
    task_id = fields.String(required=True)
    stage = fields.String(required=True)
    post = fields.String(required=True)
    due_at = fields.AwareDateTime(required=True)
    branch = fields.String(load_default="")  # the department of a parallel stage, the leader of a chain
    added_by = fields.String(load_default="")  # a co-reviewing department added mid-case


class TaskCompleted(_Payload):
    task_id = fields.String(required=True)
    stage = fields.String(required=True)
    post = fields.String(required=True)
    actor = fields.String(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    opinion = fields.String(load_default="")
    branch = fields.String(load_default="")
    due_at = fields.AwareDateTime(load_default=None, allow_none=True)
    working_seconds = fields.Float(load_default=None, allow_none=True)  # office time the task took
    overdue = fields.Boolean(load_default=False)
    case_working_seconds = fields.Float(load_default=None, allow_none=True)  # clock stops excluded


class CaseDecided(_Payload):
    item_code = fields.String(required=True)
    item_name = fields.String(required=True)
    tenant = fields.String(required=True)
    applicant = fields.Nested(ApplicantContact, required=True)
    certificate_kind = fields.String(required=True)
    decided_at = fields.AwareDateTime(required=True)
    reason = fields.String(load_default="")


class CertificateIssued(_Payload):
    certificate_number = fields.String(required=True)
    kind = fields.String(required=True)
    item_name = fields.String(required=True)
    tenant = fields.String(required=True)
    holder = fields.Nested(ApplicantContact, required=True)
    issued_at = fields.AwareDateTime(required=True)


class SmsSent(_Payload):
    message_id = fields.Integer(required=True)
    template = fields.String(required=True)
    recipient = fields.String(required=True)  # masked: 138****0000
    provider = fields.String(required=True)


class PaymentRecorded(_Payload):
    payment_id = fields.Integer(required=True)
    fee_code = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    tenant = fields.String(required=True)
    paid_at = fields.AwareDateTime(required=True)
    all_paid = fields.Boolean(required=True)


class PaymentRefunded(_Payload):
    payment_id = fields.Integer(required=True)
    fee_code = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    tenant = fields.String(required=True)
    refunded_at = fields.AwareDateTime(required=True)
    reason = fields.String(load_default="")


class MortgageRegistered(_Payload):
    mortgage_number = fields.String(required=True)
    title_number = fields.String(required=True)
    rank = fields.Integer(required=True)
    amount_fen = fields.Integer(required=True)
    tenant = fields.String(required=True)
    registered_at = fields.AwareDateTime(required=True)


class MortgageReleased(_Payload):
    mortgage_number = fields.String(required=True)
    title_number = fields.String(required=True)
    tenant = fields.String(required=True)
    released_at = fields.AwareDateTime(required=True)


class DeadlineLight(_Payload):
    """A prompt, yellow or red light on a case (``target`` "case") or on one stage (``target`` its task id)."""

    target = fields.String(required=True)
    stage = fields.String(load_default="")  # empty for the case as a whole
    post = fields.String(load_default="")  # the post that owns the stage (who the staff SMS goes to)
    tenant = fields.String(required=True)
    item_code = fields.String(required=True)
    due_at = fields.AwareDateTime(required=True)  # when the light fell due
    urging_deadline = fields.AwareDateTime(load_default=None, allow_none=True)  # red: the deadline missed
    #: what is late: a case, or a complaint (信访, the case number is then the complaint's number)
    kind = fields.String(load_default="case", validate=validate.OneOf(["case", "complaint"]))


class CaseUrged(_Payload):
    """The supervising post (督办岗) orders a case or stage finished by a new deadline."""

    target = fields.String(required=True)
    stage = fields.String(load_default="")
    post = fields.String(load_default="")
    tenant = fields.String(required=True)
    item_code = fields.String(required=True)
    urged_by = fields.String(required=True)
    deadline = fields.AwareDateTime(required=True)
    note = fields.String(load_default="")
    kind = fields.String(load_default="case", validate=validate.OneOf(["case", "complaint"]))


class SmsDelivered(_Payload):
    """The phone got it: the SMSC's delivery receipt said DELIVRD for every part."""

    message_id = fields.Integer(required=True)
    template = fields.String(required=True)
    recipient = fields.String(required=True)  # masked: 138****0000
    provider = fields.String(required=True)


class SmsFailed(_Payload):
    """The SMS will not arrive: refused for good at submit, or a failed receipt; the reason says why."""

    message_id = fields.Integer(required=True)
    template = fields.String(required=True)
    recipient = fields.String(required=True)  # masked: 138****0000
    provider = fields.String(required=True)
    reason = fields.String(required=True)
    stage = fields.String(required=True, validate=validate.OneOf(["submit", "receipt"]))


class ApplicationRefused(_Payload):
    """不予受理, filed for supervision (否定报备): the reason is chosen from a list, with free text."""

    application_number = fields.String(required=True)
    item_code = fields.String(required=True)
    item_name = fields.String(required=True)
    tenant = fields.String(required=True)
    applicant = fields.Nested(ApplicantContact, required=True)
    reason_code = fields.String(required=True, validate=validate.Length(min=1))
    reason = fields.String(required=True, validate=validate.Length(min=1))
    reason_text = fields.String(required=True, validate=validate.Length(min=1))
    clerk_id = fields.String(required=True, validate=validate.Length(min=1))
    channel = fields.String(required=True)
    refused_at = fields.AwareDateTime(required=True)


class ApplicationCorrected(_Payload):
    """补正: the applicant re-submitted materials against the same application (the case number)."""

    application_number = fields.String(required=True)
    item_code = fields.String(required=True)
    tenant = fields.String(required=True)
    applicant = fields.Nested(ApplicantContact, required=True)
    materials = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    corrected_at = fields.AwareDateTime(required=True)
    clerk_id = fields.String(load_default=None, allow_none=True)


class RatingReceived(_Payload):
    """The applicant rated a completed case; a bad rating (1 or 2) opens a rectification."""

    level = fields.Integer(required=True, validate=validate.Range(1, 5))
    bad = fields.Boolean(required=True)
    tenant = fields.String(required=True)
    item_code = fields.String(required=True)
    comment = fields.String(load_default="")
    rectification_due = fields.AwareDateTime(load_default=None, allow_none=True)


class CaseReturned(_Payload):
    """补正: returned to the applicant for correction; the clock stops until they re-submit."""

    task_id = fields.String(required=True)
    stage = fields.String(required=True)
    post = fields.String(required=True)
    actor = fields.String(required=True)
    missing = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    reason = fields.String(required=True, validate=validate.Length(min=1))
    applicant = fields.Nested(ApplicantContact, load_default=None, allow_none=True)


class CaseSuspended(_Payload):
    """Time the law excludes from the limit: hearing, testing, expert review, public notice."""

    stage = fields.String(required=True)
    actor = fields.String(required=True)
    cause = fields.String(required=True, validate=validate.OneOf(
        ["hearing", "testing", "expert-review", "public-notice"]))
    reason = fields.String(load_default="")


class CaseResumed(_Payload):
    stage = fields.String(required=True)
    actor = fields.String(required=True)
    after = fields.String(required=True, validate=validate.OneOf(["returned", "suspended"]))
    stopped_working_seconds = fields.Float(required=True)


class CaseWithdrawn(_Payload):
    actor = fields.String(required=True)
    reason = fields.String(load_default="")
    stage = fields.String(load_default="")


class TaskClaimed(_Payload):
    task_id = fields.String(required=True)
    stage = fields.String(required=True)
    post = fields.String(required=True)
    actor = fields.String(required=True)


class TaskMoved(_Payload):
    """A task moved to another post: transferred by hand, or delegated to the B backup (AB岗)."""

    task_id = fields.String(required=True)
    stage = fields.String(required=True)
    from_post = fields.String(required=True)
    to_post = fields.String(required=True)
    actor = fields.String(required=True)
    reason = fields.String(load_default="")


class ViolationRaised(_Payload):
    """A rule broken in a case, with the audit log seq numbers that prove it."""

    kind = fields.String(required=True, validate=validate.OneOf(
        ["unassigned-post", "skipped-stage", "refusal-without-reason", "unlisted-fee"]))
    target = fields.String(required=True)
    tenant = fields.String(required=True)
    evidence = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1))
    detail = fields.String(load_default="")


class ViolationWithdrawn(_Payload):
    """A violation raised earlier that late-delivered records disproved; the raising stays in the audit log."""

    kind = fields.String(required=True, validate=validate.OneOf(
        ["unassigned-post", "skipped-stage", "refusal-without-reason", "unlisted-fee"]))
    target = fields.String(required=True)
    tenant = fields.String(required=True)
    evidence = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1))  # what disproved it
    raised_at = fields.AwareDateTime(required=True)
    detail = fields.String(load_default="")


class ComplaintFiled(_Payload):
    """A complaint accepted online, numbered and routed to a handler post with its deadline."""

    tenant = fields.String(required=True)
    complainant = fields.Nested(ApplicantContact, required=True)
    subject = fields.String(required=True)
    handler_post = fields.String(required=True)
    deadline = fields.AwareDateTime(required=True)
    about_case = fields.String(load_default=None, allow_none=True)


class ComplaintResolved(_Payload):
    """The handler post answered the complaint; the complainant is told by SMS (absent on older records)."""

    tenant = fields.String(required=True)
    handler_post = fields.String(required=True)
    late = fields.Boolean(required=True)
    complainant = fields.Nested(ApplicantContact, load_default=None, allow_none=True)


class AccessDenied(_Payload):
    """Someone signed in tried to read or act outside their tenant, post or role (a 403 at the gateway)."""

    username = fields.String(required=True)
    role = fields.String(required=True)
    tenant = fields.String(required=True, allow_none=True)
    method = fields.String(required=True)
    path = fields.String(required=True)
    reason = fields.String(required=True)
