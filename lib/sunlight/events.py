"""Every event type: its name (past tense), the service that publishes it and its payload schema.

A new event type is named and registered here, once, never later from elsewhere: ``sunlight.contracts``
builds its envelope from ``PAYLOAD_SCHEMAS`` when it is imported. The schemas are in ``payloads``.
"""

from __future__ import annotations

from marshmallow import Schema

from sunlight import payloads

# intake: the window accepts, refuses (不予受理) and takes corrections (补正)
APPLICATION_ACCEPTED = "application.accepted"
APPLICATION_REFUSED = "application.refused"
APPLICATION_CORRECTED = "application.corrected"

# workflow: cases and the tasks of each post
CASE_OPENED = "case.opened"
TASK_CREATED = "task.created"
TASK_COMPLETED = "task.completed"
CASE_APPROVED = "case.approved"
CASE_REJECTED = "case.rejected"
CASE_RETURNED = "case.returned"
CASE_RESUMED = "case.resumed"
CASE_SUSPENDED = "case.suspended"
CASE_WITHDRAWN = "case.withdrawn"
TASK_CLAIMED = "task.claimed"
TASK_TRANSFERRED = "task.transferred"
TASK_DELEGATED = "task.delegated"

# registry: certificates, fees, refunds and mortgages
CERTIFICATE_ISSUED = "certificate.issued"
PAYMENT_RECORDED = "payment.recorded"
PAYMENT_REFUNDED = "payment.refunded"
MORTGAGE_REGISTERED = "mortgage.registered"
MORTGAGE_RELEASED = "mortgage.released"

# notify: each SMS handed to the SMSC, then delivered or failed
SMS_SENT = "sms.sent"
SMS_DELIVERED = "sms.delivered"
SMS_FAILED = "sms.failed"

# supervision (电子监察): lights, urging, ratings, violations, complaints (信访)
DEADLINE_PROMPTED = "deadline.prompted"
DEADLINE_YELLOW = "deadline.yellow"
DEADLINE_RED = "deadline.red"
CASE_URGED = "case.urged"
RATING_RECEIVED = "rating.received"
VIOLATION_RAISED = "violation.raised"
VIOLATION_WITHDRAWN = "violation.withdrawn"
COMPLAINT_FILED = "complaint.filed"
COMPLAINT_RESOLVED = "complaint.resolved"

# gateway: a refused access (403)
ACCESS_DENIED = "access.denied"

#: services whose events supervision audits
AUDITED_SERVICES: tuple[str, ...] = ("intake", "workflow", "registry", "notify", "gateway")


#: every event type: who publishes it (the exchange is ``<service>.events``) and its payload schema
_EVENTS: tuple[tuple[str, str, type[Schema]], ...] = (
    (APPLICATION_ACCEPTED, "intake", payloads.ApplicationAccepted),
    (APPLICATION_REFUSED, "intake", payloads.ApplicationRefused),
    (APPLICATION_CORRECTED, "intake", payloads.ApplicationCorrected),
    (CASE_OPENED, "workflow", payloads.CaseOpened),
    (TASK_CREATED, "workflow", payloads.TaskCreated),
    (TASK_COMPLETED, "workflow", payloads.TaskCompleted),
    (CASE_APPROVED, "workflow", payloads.CaseDecided),
    (CASE_REJECTED, "workflow", payloads.CaseDecided),
    (CASE_RETURNED, "workflow", payloads.CaseReturned),
    (CASE_RESUMED, "workflow", payloads.CaseResumed),
    (CASE_SUSPENDED, "workflow", payloads.CaseSuspended),
    (CASE_WITHDRAWN, "workflow", payloads.CaseWithdrawn),
    (TASK_CLAIMED, "workflow", payloads.TaskClaimed),
    (TASK_TRANSFERRED, "workflow", payloads.TaskMoved),
    (TASK_DELEGATED, "workflow", payloads.TaskMoved),
    (CERTIFICATE_ISSUED, "registry", payloads.CertificateIssued),
    (PAYMENT_RECORDED, "registry", payloads.PaymentRecorded),
    (PAYMENT_REFUNDED, "registry", payloads.PaymentRefunded),
    (MORTGAGE_REGISTERED, "registry", payloads.MortgageRegistered),
    (MORTGAGE_RELEASED, "registry", payloads.MortgageReleased),
    (SMS_SENT, "notify", payloads.SmsSent),
    (SMS_DELIVERED, "notify", payloads.SmsDelivered),
    (SMS_FAILED, "notify", payloads.SmsFailed),
    (DEADLINE_PROMPTED, "supervision", payloads.DeadlineLight),
    (DEADLINE_YELLOW, "supervision", payloads.DeadlineLight),
    (DEADLINE_RED, "supervision", payloads.DeadlineLight),
    (CASE_URGED, "supervision", payloads.CaseUrged),
    (RATING_RECEIVED, "supervision", payloads.RatingReceived),
    (VIOLATION_RAISED, "supervision", payloads.ViolationRaised),
    (VIOLATION_WITHDRAWN, "supervision", payloads.ViolationWithdrawn),
    (COMPLAINT_FILED, "supervision", payloads.ComplaintFiled),
    (COMPLAINT_RESOLVED, "supervision", payloads.ComplaintResolved),
    (ACCESS_DENIED, "gateway", payloads.AccessDenied),
)
PUBLISHERS: dict[str, str] = {event_type: publisher for event_type, publisher, _ in _EVENTS}
PAYLOAD_SCHEMAS: dict[str, type[Schema]] = {event_type: schema for event_type, _, schema in _EVENTS}
