"""Notify's entrypoints: turn events into SMS, stored first, sent after commit, never twice."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import yaml
from nameko import config
from nameko.timer import timer
from sqlalchemy import bindparam, func, select

from notify import delivery, domain
from notify.dependencies import MessageStore, SentLog, SmsGateway
from notify.models import Message, OptOut, metadata
from notify.settings import MIGRATIONS, STAFF, TEMPLATES
from sunlight import base, metrics, seals
from sunlight.calendar import WorkingCalendar
from sunlight.contracts import (
    APPLICATION_ACCEPTED,
    APPLICATION_REFUSED,
    CASE_REJECTED,
    CASE_RETURNED,
    CASE_URGED,
    CERTIFICATE_ISSUED,
    COMPLAINT_FILED,
    COMPLAINT_RESOLVED,
    DEADLINE_PROMPTED,
    DEADLINE_RED,
    DEADLINE_YELLOW,
    TASK_CREATED,
    Event,
    mask_mobile,
)
from sunlight.db import Database
from sunlight.errors import SunlightError, ValidationFailed
from sunlight.messaging import event_handler
from sunlight.rpc import rpc
from sunlight.tenants import all_tenants, tenant

log = logging.getLogger(__name__)
TEMPLATE_SET = domain.parse_templates(yaml.safe_load(TEMPLATES.read_text(encoding="utf-8"))["templates"])
STAFF_DIRECTORY = yaml.safe_load(STAFF.read_text(encoding="utf-8"))
CALENDAR = WorkingCalendar.default()
# staff see the shown text (the query code masked); a row stored before it had one shows its text
_MESSAGES_OF_CASE = select(Message.id, Message.template, Message.recipient,
                           func.coalesce(Message.shown_text, Message.text).label("text"), Message.status,
                           Message.error, Message.attempts).where(
    Message.case_number == bindparam("case_number")).order_by(Message.id)


def _policy() -> delivery.Policy:
    return delivery.Policy(
        retry_base=timedelta(milliseconds=int(config.get("SMS_RETRY_BASE_MS", 1000))),
        retry_cap=timedelta(seconds=int(config.get("SMS_RETRY_CAP_SECONDS", 300))),
        rate_per_hour=int(config.get("SMS_RATE_PER_HOUR", 20)),
        stuck_after=timedelta(seconds=int(config.get("SMS_STUCK_AFTER_SECONDS", 600))),
    )


def _query_code(payload: dict[str, Any]) -> str | None:
    """The code for the acceptance SMS (``domain.query_code``). A seal that does not open (intake's and notify's
    keys differ, or notify has none) leaves the code out: the applicant is still told the case is accepted, the
    text pointing to the receipt, and operators get an alert."""
    try:
        return domain.query_code(payload, seals.configured_secret())
    except seals.SealBroken as exc:
        metrics.QUERY_CODE_SEALS_BROKEN.inc()
        log.error("the query code of %s is not texted: %s (is QUERY_CODE_SEAL_KEY the same in intake and notify?)",
                  payload["application_number"], exc)
        return None


def _local_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _local_time(instant: datetime) -> str:
    local = instant.astimezone(CALENDAR.tz)
    return f"{local.month}月{local.day}日{local:%H:%M}"


class NotifyService(base.ServiceBase):
    """SMS to applicants and staff."""

    name = "notify"
    db = Database(metadata, MIGRATIONS)
    sms = SmsGateway()
    stored = MessageStore()
    sent = SentLog()

    @event_handler("intake", APPLICATION_ACCEPTED)  # type: ignore[untyped-decorator]
    def on_application_accepted(self, body: dict[str, Any]) -> None:
        """受理短信: the application number, the promised date and, when intake gives one, the query code."""
        event = Event.from_message(body)
        payload = event.payload
        values = {"applicant_name": payload["applicant"]["name"], "item_name": payload["item_name"],
                  "application_number": payload["application_number"],
                  "promised_date": _local_date(payload["promised_date"])}
        code = _query_code(payload)
        key = "application_received"
        if code:
            key, values["query_code"] = "application_received_with_code", code
        self._notify(event, key, values, payload["tenant"], payload["applicant"]["mobile"])

    @event_handler("intake", APPLICATION_REFUSED)  # type: ignore[untyped-decorator]
    def on_application_refused(self, body: dict[str, Any]) -> None:
        """不予受理短信: the window refused it; the applicant is told why (the filed reason) and their remedy."""
        event = Event.from_message(body)
        payload = event.payload
        values = {"applicant_name": payload["applicant"]["name"], "item_name": payload["item_name"],
                  "reason": payload["reason"], "reason_text": payload["reason_text"]}
        self._notify(event, "application_not_accepted", values, payload["tenant"], payload["applicant"]["mobile"])

    @event_handler("workflow", CASE_REJECTED)  # type: ignore[untyped-decorator]
    def on_case_rejected(self, body: dict[str, Any]) -> None:
        """不予许可短信: the refusal with its reason (否定报备 requires one)."""
        event = Event.from_message(body)
        payload = event.payload
        values = {"applicant_name": payload["applicant"]["name"], "item_name": payload["item_name"],
                  "application_number": event.case_number or "",
                  "reason": payload.get("reason") or "详见不予许可决定书"}
        self._notify(event, "application_refused", values, payload["tenant"], payload["applicant"]["mobile"])

    @event_handler("registry", CERTIFICATE_ISSUED)  # type: ignore[untyped-decorator]
    def on_certificate_issued(self, body: dict[str, Any]) -> None:
        """办结短信: tell the holder the certificate is ready and where to collect it."""
        event = Event.from_message(body)
        holder = event.payload["holder"]
        values = {"holder_name": holder["name"], "item_name": event.payload["item_name"],
                  "certificate_number": event.payload["certificate_number"],
                  "window": tenant(event.payload["tenant"]).window}
        self._notify(event, "certificate_issued", values, event.payload["tenant"], holder["mobile"])

    @event_handler("workflow", TASK_CREATED)  # type: ignore[untyped-decorator]
    def on_task_created(self, body: dict[str, Any]) -> None:
        """新任务短信 to the holder of the post; held until office hours."""
        event = Event.from_message(body)
        post = event.payload["post"]
        holder = STAFF_DIRECTORY["posts"].get(post)
        if holder is None:
            log.info("no staff member on file for post %s; no SMS", post)
            return
        stage = event.payload["stage"]
        values = {"holder_name": holder["name"], "stage_name": STAFF_DIRECTORY["stages"].get(stage, stage),
                  "case_number": event.case_number or "", "due_at": _local_time(event.payload["due_at"])}
        self._notify(event, "task_created", values, post.split("/", 1)[0], str(holder["mobile"]))

    @event_handler("workflow", CASE_RETURNED)  # type: ignore[untyped-decorator]
    def on_case_returned(self, body: dict[str, Any]) -> None:
        """补正短信: what to bring back and why; the clock stands still meanwhile."""
        event = Event.from_message(body)
        payload = event.payload
        applicant = payload.get("applicant")
        if not applicant:
            log.info("case %s returned without the applicant's contact; no SMS", event.case_number)
            return
        values = {"applicant_name": applicant["name"], "application_number": event.case_number or "",
                  "missing": "、".join(payload["missing"]), "reason": payload["reason"]}
        self._notify(event, "correction_needed", values, payload["post"].split("/", 1)[0], applicant["mobile"])

    @event_handler("supervision", DEADLINE_PROMPTED)  # type: ignore[untyped-decorator]
    def on_deadline_prompted(self, body: dict[str, Any]) -> None:
        """提醒: the post's deadline is near (held until office hours)."""
        self._light(Event.from_message(body), "deadline_prompt")

    @event_handler("supervision", DEADLINE_YELLOW)  # type: ignore[untyped-decorator]
    def on_deadline_yellow(self, body: dict[str, Any]) -> None:
        """黄灯: overdue; the post must act and give a reason (held until office hours)."""
        self._light(Event.from_message(body), "deadline_yellow")

    @event_handler("supervision", DEADLINE_RED)  # type: ignore[untyped-decorator]
    def on_deadline_red(self, body: dict[str, Any]) -> None:
        """红灯: still overdue after the urging deadline; goes at any hour."""
        self._light(Event.from_message(body), "deadline_red")

    @event_handler("supervision", CASE_URGED)  # type: ignore[untyped-decorator]
    def on_case_urged(self, body: dict[str, Any]) -> None:
        """督办: the supervising post's order reaches the post's holder at once."""
        event = Event.from_message(body)
        holder = self._holder(event.payload.get("post", ""), event)
        if holder is not None:
            values = {"holder_name": holder["name"], "case_number": event.case_number or "",
                      "urged_by": event.payload["urged_by"], "note": event.payload.get("note") or "请即办理"}
            self._notify(event, "case_urged", values, event.payload["tenant"], str(holder["mobile"]))

    @event_handler("supervision", COMPLAINT_FILED)  # type: ignore[untyped-decorator]
    def on_complaint_filed(self, body: dict[str, Any]) -> None:
        """信访受理短信: the complainant gets the complaint's number and the date it will be answered by."""
        event = Event.from_message(body)
        complainant = event.payload["complainant"]
        values = {"complainant_name": complainant["name"], "complaint_number": event.case_number or "",
                  "deadline": _local_date(event.payload["deadline"].astimezone(CALENDAR.tz).date())}
        self._notify(event, "complaint_accepted", values, event.payload["tenant"], complainant["mobile"])

    @event_handler("supervision", COMPLAINT_RESOLVED)  # type: ignore[untyped-decorator]
    def on_complaint_resolved(self, body: dict[str, Any]) -> None:
        """信访答复短信: the complainant is told their complaint has been answered."""
        event = Event.from_message(body)
        complainant = event.payload.get("complainant")
        if not complainant:
            log.info("complaint %s answered without the complainant's contact; no SMS", event.case_number)
            return
        values = {"complainant_name": complainant["name"], "complaint_number": event.case_number or ""}
        self._notify(event, "complaint_answered", values, event.payload["tenant"], complainant["mobile"])

    def _light(self, event: Event, template_key: str) -> None:
        holder = self._holder(event.payload.get("post", ""), event)
        if holder is None:
            return
        stage = event.payload.get("stage") or ""
        values = {"holder_name": holder["name"], "stage_name": STAFF_DIRECTORY["stages"].get(stage, stage),
                  "case_number": event.case_number or "", "due_at": _local_time(event.payload["due_at"])}
        self._notify(event, template_key, values, event.payload["tenant"], str(holder["mobile"]))

    @staticmethod
    def _holder(post: str, event: Event) -> dict[str, Any] | None:
        """Who holds ``post`` (the staff directory); a light on a whole case or an unknown post texts nobody."""
        holder: dict[str, Any] | None = STAFF_DIRECTORY["posts"].get(post) if post else None
        if holder is None:
            log.info("%s for post %r: nobody on file to text", event.event_type, post)
        return holder

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def messages_for_case(self, case_number: str) -> list[dict[str, Any]]:
        """Every message about a case, phone numbers masked."""
        # a prebuilt Core select of the columns shown, on a bare connection: it is polled (a case's page, the
        # bench's driver), no ORM session or objects needed
        with self.db.engine.connect() as connection:
            rows = connection.execute(_MESSAGES_OF_CASE, {"case_number": case_number}).all()
        return [{"id": r.id, "template": r.template, "recipient": mask_mobile(r.recipient),
                 "text": r.text, "status": r.status, "error": r.error, "attempts": r.attempts} for r in rows]

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def opt_out(self, mobile: str) -> dict[str, Any]:
        """The owner of ``mobile`` wants no more non-essential messages (refusals, completions still go)."""
        if not domain.valid_mobile(mobile):
            raise ValidationFailed("invalid mobile", {"mobile": ["not a mainland mobile number"]})
        with self.db.unit_of_work() as uow:
            if uow.session.get(OptOut, mobile) is None:
                uow.session.add(OptOut(mobile=mobile, created_at=datetime.now(UTC)))
        return {"mobile": mask_mobile(mobile), "opted_out": True}

    @timer(interval=1)  # type: ignore[untyped-decorator]
    def send_due(self) -> None:
        """Send what is due: retries after backoff, staff messages at office time, what a crash left behind."""
        with self.singleton("send-due", ttl_seconds=120) as mine:
            if not mine:
                return
            policy = _policy()
            now = datetime.now(UTC)
            for message_id in delivery.due_messages(self.db, now, policy):
                delivery.send_message(self.db, self.sms, message_id, lambda: datetime.now(UTC), policy, self.sent)
            metrics.SMS_STUCK.labels("notify").set(delivery.stuck_count(self.db, datetime.now(UTC), policy))

    def _notify(self, event: Event, template_key: str, values: dict[str, str], tenant_code: str,
                recipient: str) -> None:
        template = TEMPLATE_SET[template_key]
        signature = all_tenants()[tenant_code].sms_signature if tenant_code in all_tenants() else ""
        rendered = domain.render(template, values, signature=signature, recipient=recipient)
        now = datetime.now(UTC)
        claim = self.stored(delivery.NewMessage(event, template, rendered,
                                                domain.send_not_before(template, now, CALENDAR), now))
        if claim is not None and claim.attempts:  # claimed: due now (a held one waits for send_due)
            delivery.deliver(self.db, self.sms, claim, lambda: datetime.now(UTC), _policy(), self.sent)
