"""What crosses the wire between services: event names, the event envelope and payload schemas.

Every event is named in the past tense and carries an ``event_id``, the case number, the time it
happened and a schema version. A consumer validates the envelope and the payload of every event it
receives; a malformed event is a permanent failure and goes to the dead-letter queue.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from sunlight.errors import ValidationFailed

SCHEMA_VERSION = 1

APPLICATION_ACCEPTED = "application.accepted"
CASE_OPENED = "case.opened"
TASK_CREATED = "task.created"
TASK_COMPLETED = "task.completed"
CASE_APPROVED = "case.approved"
CASE_REJECTED = "case.rejected"
CERTIFICATE_ISSUED = "certificate.issued"
SMS_SENT = "sms.sent"

# registry: fees, refunds and mortgages (issue 6)
PAYMENT_RECORDED = "payment.recorded"
PAYMENT_REFUNDED = "payment.refunded"
MORTGAGE_REGISTERED = "mortgage.registered"
MORTGAGE_RELEASED = "mortgage.released"

# supervision (电子监察): lights on deadlines and urging
DEADLINE_PROMPTED = "deadline.prompted"
DEADLINE_YELLOW = "deadline.yellow"
DEADLINE_RED = "deadline.red"
CASE_URGED = "case.urged"
# notify: what became of an SMS after it was handed to the SMSC (issue 7)
SMS_DELIVERED = "sms.delivered"
SMS_FAILED = "sms.failed"
# intake (issue 4): refusal filed for supervision, materials re-submitted for correction
APPLICATION_REFUSED = "application.refused"
APPLICATION_CORRECTED = "application.corrected"

#: which service publishes each event (the exchange is ``<service>.events``)
PUBLISHERS: dict[str, str] = {
    APPLICATION_ACCEPTED: "intake",
    CASE_OPENED: "workflow",
    TASK_CREATED: "workflow",
    TASK_COMPLETED: "workflow",
    CASE_APPROVED: "workflow",
    CASE_REJECTED: "workflow",
    CERTIFICATE_ISSUED: "registry",
    SMS_SENT: "notify",
    # registry (issue 6)
    PAYMENT_RECORDED: "registry",
    PAYMENT_REFUNDED: "registry",
    MORTGAGE_REGISTERED: "registry",
    MORTGAGE_RELEASED: "registry",
    # supervision
    DEADLINE_PROMPTED: "supervision",
    DEADLINE_YELLOW: "supervision",
    DEADLINE_RED: "supervision",
    CASE_URGED: "supervision",
    SMS_DELIVERED: "notify",
    SMS_FAILED: "notify",
    APPLICATION_REFUSED: "intake",
    APPLICATION_CORRECTED: "intake",
}

#: services whose events supervision audits
AUDITED_SERVICES: tuple[str, ...] = ("intake", "workflow", "registry", "notify", "gateway")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class ApplicantContact(_Strict):
    """Who to tell: the applicant's display name and mobile number."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    mobile = fields.String(required=True, validate=validate.Regexp(r"^1[3-9]\d{9}$"))


class ApplicationAccepted(_Strict):
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
    query_code = fields.String(load_default=None)  # for the public status page (issue 4)
    #: which series a permit is numbered in (招牌, 广告, 渣土 ...); empty for titles
    permit_series = fields.String(load_default="")


class CaseOpened(_Strict):
    item_code = fields.String(required=True)
    tenant = fields.String(required=True)
    definition = fields.String(required=True)
    definition_version = fields.Integer(required=True)


class TaskCreated(_Strict):
    task_id = fields.String(required=True)
    stage = fields.String(required=True)
    post = fields.String(required=True)
    due_at = fields.AwareDateTime(required=True)
    branch = fields.String(load_default="")  # the department of a parallel stage, the leader of a chain
    added_by = fields.String(load_default="")  # a co-reviewing department added mid-case


class TaskCompleted(_Strict):
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


class CaseDecided(_Strict):
    item_code = fields.String(required=True)
    item_name = fields.String(required=True)
    tenant = fields.String(required=True)
    applicant = fields.Nested(ApplicantContact, required=True)
    certificate_kind = fields.String(required=True)
    decided_at = fields.AwareDateTime(required=True)
    reason = fields.String(load_default="")


class CertificateIssued(_Strict):
    certificate_number = fields.String(required=True)
    kind = fields.String(required=True)
    item_name = fields.String(required=True)
    tenant = fields.String(required=True)
    holder = fields.Nested(ApplicantContact, required=True)
    issued_at = fields.AwareDateTime(required=True)


class SmsSent(_Strict):
    message_id = fields.Integer(required=True)
    template = fields.String(required=True)
    recipient = fields.String(required=True)  # masked: 138****0000
    provider = fields.String(required=True)


# registry: fees, refunds and mortgages (issue 6)
class PaymentRecorded(_Strict):
    payment_id = fields.Integer(required=True)
    fee_code = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    tenant = fields.String(required=True)
    paid_at = fields.AwareDateTime(required=True)
    all_paid = fields.Boolean(required=True)


class PaymentRefunded(_Strict):
    payment_id = fields.Integer(required=True)
    fee_code = fields.String(required=True)
    amount_fen = fields.Integer(required=True)
    tenant = fields.String(required=True)
    refunded_at = fields.AwareDateTime(required=True)
    reason = fields.String(load_default="")


class MortgageRegistered(_Strict):
    mortgage_number = fields.String(required=True)
    title_number = fields.String(required=True)
    rank = fields.Integer(required=True)
    amount_fen = fields.Integer(required=True)
    tenant = fields.String(required=True)
    registered_at = fields.AwareDateTime(required=True)


class MortgageReleased(_Strict):
    mortgage_number = fields.String(required=True)
    title_number = fields.String(required=True)
    tenant = fields.String(required=True)
    released_at = fields.AwareDateTime(required=True)


# supervision
class DeadlineLight(_Strict):
    """A prompt, yellow or red light on a case (``target`` "case") or on one stage (``target`` its task id)."""

    target = fields.String(required=True)
    stage = fields.String(load_default="")  # empty for the case as a whole
    post = fields.String(load_default="")  # the post that owns the stage (who the staff SMS goes to)
    tenant = fields.String(required=True)
    item_code = fields.String(required=True)
    due_at = fields.AwareDateTime(required=True)  # when the light fell due
    urging_deadline = fields.AwareDateTime(load_default=None, allow_none=True)  # red: the deadline missed


class CaseUrged(_Strict):
    """The supervising post (督办岗) orders a case or stage finished by a new deadline."""

    target = fields.String(required=True)
    stage = fields.String(load_default="")
    post = fields.String(load_default="")
    tenant = fields.String(required=True)
    item_code = fields.String(required=True)
    urged_by = fields.String(required=True)
    deadline = fields.AwareDateTime(required=True)
    note = fields.String(load_default="")


class SmsDelivered(_Strict):
    """The phone got it: the SMSC's delivery receipt said DELIVRD for every part."""

    message_id = fields.Integer(required=True)
    template = fields.String(required=True)
    recipient = fields.String(required=True)  # masked: 138****0000
    provider = fields.String(required=True)


class SmsFailed(_Strict):
    """The SMS will not arrive: refused for good at submit, or a failed receipt; the reason says why."""

    message_id = fields.Integer(required=True)
    template = fields.String(required=True)
    recipient = fields.String(required=True)  # masked: 138****0000
    provider = fields.String(required=True)
    reason = fields.String(required=True)
    stage = fields.String(required=True, validate=validate.OneOf(["submit", "receipt"]))
# --- intake (issue 4) ---


class ApplicationRefused(_Strict):
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


class ApplicationCorrected(_Strict):
    """补正: the applicant re-submitted materials against the same application (the case number)."""

    application_number = fields.String(required=True)
    item_code = fields.String(required=True)
    tenant = fields.String(required=True)
    applicant = fields.Nested(ApplicantContact, required=True)
    materials = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    corrected_at = fields.AwareDateTime(required=True)
    clerk_id = fields.String(load_default=None, allow_none=True)


PAYLOAD_SCHEMAS: dict[str, type[Schema]] = {
    APPLICATION_ACCEPTED: ApplicationAccepted,
    CASE_OPENED: CaseOpened,
    TASK_CREATED: TaskCreated,
    TASK_COMPLETED: TaskCompleted,
    CASE_APPROVED: CaseDecided,
    CASE_REJECTED: CaseDecided,
    CERTIFICATE_ISSUED: CertificateIssued,
    SMS_SENT: SmsSent,
    # registry (issue 6)
    PAYMENT_RECORDED: PaymentRecorded,
    PAYMENT_REFUNDED: PaymentRefunded,
    MORTGAGE_REGISTERED: MortgageRegistered,
    MORTGAGE_RELEASED: MortgageReleased,
    # supervision
    DEADLINE_PROMPTED: DeadlineLight,
    DEADLINE_YELLOW: DeadlineLight,
    DEADLINE_RED: DeadlineLight,
    CASE_URGED: CaseUrged,
    SMS_DELIVERED: SmsDelivered,
    SMS_FAILED: SmsFailed,
    APPLICATION_REFUSED: ApplicationRefused,
    APPLICATION_CORRECTED: ApplicationCorrected,
}


# --- supervision: ratings (每事一卡) ----------------------------------------------------------
RATING_RECEIVED = "rating.received"


class RatingReceived(_Strict):
    """The applicant rated a completed case; a bad rating (1 or 2) opens a rectification."""

    level = fields.Integer(required=True, validate=validate.Range(1, 5))
    bad = fields.Boolean(required=True)
    tenant = fields.String(required=True)
    item_code = fields.String(required=True)
    comment = fields.String(load_default="")
    rectification_due = fields.AwareDateTime(load_default=None, allow_none=True)


PUBLISHERS[RATING_RECEIVED] = "supervision"
PAYLOAD_SCHEMAS[RATING_RECEIVED] = RatingReceived


# --- workflow: actions on cases and tasks (issue 5) ------------------------------------------
CASE_RETURNED = "case.returned"
CASE_RESUMED = "case.resumed"
CASE_SUSPENDED = "case.suspended"
CASE_WITHDRAWN = "case.withdrawn"
TASK_CLAIMED = "task.claimed"
TASK_TRANSFERRED = "task.transferred"
TASK_DELEGATED = "task.delegated"


class CaseReturned(_Strict):
    """补正: returned to the applicant for correction; the clock stops until they re-submit."""

    task_id = fields.String(required=True)
    stage = fields.String(required=True)
    post = fields.String(required=True)
    actor = fields.String(required=True)
    missing = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    reason = fields.String(required=True, validate=validate.Length(min=1))
    applicant = fields.Nested(ApplicantContact, load_default=None, allow_none=True)


class CaseSuspended(_Strict):
    """Time the law excludes from the limit: hearing, testing, expert review, public notice."""

    stage = fields.String(required=True)
    actor = fields.String(required=True)
    cause = fields.String(required=True, validate=validate.OneOf(
        ["hearing", "testing", "expert-review", "public-notice"]))
    reason = fields.String(load_default="")


class CaseResumed(_Strict):
    stage = fields.String(required=True)
    actor = fields.String(required=True)
    after = fields.String(required=True, validate=validate.OneOf(["returned", "suspended"]))
    stopped_working_seconds = fields.Float(required=True)


class CaseWithdrawn(_Strict):
    actor = fields.String(required=True)
    reason = fields.String(load_default="")
    stage = fields.String(load_default="")


class TaskClaimed(_Strict):
    task_id = fields.String(required=True)
    stage = fields.String(required=True)
    post = fields.String(required=True)
    actor = fields.String(required=True)


class TaskMoved(_Strict):
    """A task moved to another post: transferred by hand, or delegated to the B backup (AB岗)."""

    task_id = fields.String(required=True)
    stage = fields.String(required=True)
    from_post = fields.String(required=True)
    to_post = fields.String(required=True)
    actor = fields.String(required=True)
    reason = fields.String(load_default="")


PUBLISHERS.update({
    CASE_RETURNED: "workflow",
    CASE_RESUMED: "workflow",
    CASE_SUSPENDED: "workflow",
    CASE_WITHDRAWN: "workflow",
    TASK_CLAIMED: "workflow",
    TASK_TRANSFERRED: "workflow",
    TASK_DELEGATED: "workflow",
})
PAYLOAD_SCHEMAS.update({
    CASE_RETURNED: CaseReturned,
    CASE_RESUMED: CaseResumed,
    CASE_SUSPENDED: CaseSuspended,
    CASE_WITHDRAWN: CaseWithdrawn,
    TASK_CLAIMED: TaskClaimed,
    TASK_TRANSFERRED: TaskMoved,
    TASK_DELEGATED: TaskMoved,
})


# --- supervision: violations (违规) -----------------------------------------------------------
VIOLATION_RAISED = "violation.raised"


class ViolationRaised(_Strict):
    """A rule broken in a case, with the audit log seq numbers that prove it."""

    kind = fields.String(required=True, validate=validate.OneOf(
        ["unassigned-post", "skipped-stage", "refusal-without-reason", "unlisted-fee"]))
    target = fields.String(required=True)
    tenant = fields.String(required=True)
    evidence = fields.List(fields.Integer(), required=True, validate=validate.Length(min=1))
    detail = fields.String(load_default="")


PUBLISHERS[VIOLATION_RAISED] = "supervision"
PAYLOAD_SCHEMAS[VIOLATION_RAISED] = ViolationRaised


# --- supervision: complaints and petitions (信访) ---------------------------------------------
COMPLAINT_FILED = "complaint.filed"
COMPLAINT_RESOLVED = "complaint.resolved"


class ComplaintFiled(_Strict):
    """A complaint accepted online, numbered and routed to a handler post with its deadline."""

    tenant = fields.String(required=True)
    complainant = fields.Nested(ApplicantContact, required=True)
    subject = fields.String(required=True)
    handler_post = fields.String(required=True)
    deadline = fields.AwareDateTime(required=True)
    about_case = fields.String(load_default=None, allow_none=True)


class ComplaintResolved(_Strict):
    tenant = fields.String(required=True)
    handler_post = fields.String(required=True)
    late = fields.Boolean(required=True)


PUBLISHERS[COMPLAINT_FILED] = "supervision"
PUBLISHERS[COMPLAINT_RESOLVED] = "supervision"
PAYLOAD_SCHEMAS[COMPLAINT_FILED] = ComplaintFiled
PAYLOAD_SCHEMAS[COMPLAINT_RESOLVED] = ComplaintResolved


# --- gateway: refused access, for supervision (issue 9) --------------------------------------
ACCESS_DENIED = "access.denied"


class AccessDenied(_Strict):
    """Someone signed in tried to read or act outside their tenant, post or role (a 403 at the gateway)."""

    username = fields.String(required=True)
    role = fields.String(required=True)
    tenant = fields.String(required=True, allow_none=True)
    method = fields.String(required=True)
    path = fields.String(required=True)
    reason = fields.String(required=True)


PUBLISHERS[ACCESS_DENIED] = "gateway"
PAYLOAD_SCHEMAS[ACCESS_DENIED] = AccessDenied

class Envelope(_Strict):
    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True, validate=validate.OneOf(sorted(PAYLOAD_SCHEMAS)))
    schema_version = fields.Integer(required=True, validate=validate.Equal(SCHEMA_VERSION))
    occurred_at = fields.AwareDateTime(required=True)
    source = fields.String(required=True)
    case_number = fields.String(required=True, allow_none=True)
    payload = fields.Dict(required=True)


@dataclass(frozen=True)
class Event:
    """One fact that happened, as every service sees it."""

    event_type: str
    case_number: str | None
    payload: Mapping[str, Any]
    occurred_at: datetime
    source: str = ""
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    schema_version: int = SCHEMA_VERSION

    def to_message(self) -> dict[str, Any]:
        """The JSON-ready body published on the broker (payload validated and serialized)."""
        schema = PAYLOAD_SCHEMAS[self.event_type]()
        errors = schema.validate(schema.dump(self.payload))
        if errors:
            raise ValidationFailed(f"event {self.event_type} has a bad payload", errors)
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "schema_version": self.schema_version,
            "occurred_at": self.occurred_at.astimezone(UTC).isoformat(),
            "source": self.source,
            "case_number": self.case_number,
            "payload": schema.dump(self.payload),
        }

    @classmethod
    def from_message(cls, body: Any) -> Event:
        """Validate a received body; raise ValidationFailed naming every bad field."""
        if not isinstance(body, Mapping):
            raise ValidationFailed("event body is not an object", {"_schema": ["not an object"]})
        try:
            envelope = Envelope().load(body)
            payload = PAYLOAD_SCHEMAS[envelope["event_type"]]().load(envelope["payload"])
        except ValidationError as exc:
            raise ValidationFailed("malformed event", _as_fields(exc.messages)) from exc
        return cls(
            event_type=envelope["event_type"],
            case_number=envelope["case_number"],
            payload=payload,
            occurred_at=envelope["occurred_at"],
            source=envelope["source"],
            event_id=str(envelope["event_id"]),
            schema_version=envelope["schema_version"],
        )


def new_event(
    event_type: str, case_number: str | None, payload: Mapping[str, Any], now: datetime
) -> Event:
    """Build an event the domain decided on; the publishing service fills in ``source``."""
    if event_type not in PAYLOAD_SCHEMAS:
        raise ValueError(f"unknown event type {event_type!r}")
    return Event(
        event_type=event_type,
        case_number=case_number,
        payload=dict(payload),
        occurred_at=now,
        source=PUBLISHERS[event_type],
    )


def _as_fields(messages: Any) -> dict[str, Any]:
    if isinstance(messages, dict):
        return {str(key): value for key, value in messages.items()}
    return {"_schema": messages}


def load_or_fail(schema: Schema, data: Any, what: str) -> Any:
    """Load ``data`` with ``schema``; raise ValidationFailed listing every field and reason."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed(f"invalid {what}", _as_fields(exc.messages)) from exc


def mask_mobile(mobile: str) -> str:
    """138****0000: what logs, public views and metrics may show of a phone number."""
    if len(mobile) < 7:
        return "*" * len(mobile)
    return f"{mobile[:3]}****{mobile[-4:]}"
