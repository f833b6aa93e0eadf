"""Supervision's entrypoints: audit every event, keep clocks and lights current, urge and take delay reasons."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import asdict
from datetime import timedelta
from typing import Any

import eventlet
from nameko.exceptions import UnknownService
from nameko.rpc import ServiceRpc
from nameko.timer import timer
from sqlalchemy import select

from sunlight import base, metrics
from sunlight.contracts import (
    AUDITED_SERVICES,
    CASE_URGED,
    COMPLAINT_FILED,
    COMPLAINT_RESOLVED,
    Event,
    load_or_fail,
    mask_mobile,
    new_event,
)
from sunlight.db import Database
from sunlight.errors import NotFound, SunlightError, Unavailable
from sunlight.messaging import every_event_handler
from sunlight.rpc import rpc
from sunlight.sequences import next_value
from sunlight.tenants import tenant as tenant_of
from supervision import inspection, recording, settings, summaries, watch
from supervision.dependencies import Deadlines, EventRecorder
from supervision.domain import clocks, complaints, duties, lights, ratings, statistics, status, views
from supervision.inspection import iso
from supervision.models import (
    CaseClockRow,
    ComplaintRow,
    DelayReasonRow,
    LightRow,
    RatingRow,
    UrgingRow,
    ViolationRow,
    metadata,
    sequences,
)
from supervision.schemas import (
    ComplaintRequest,
    DelayReasonRequest,
    LightsRequest,
    RatingRequest,
    ResolveComplaintRequest,
    StatisticsRequest,
    UrgeRequest,
    ViolationListRequest,
    ViolationsRequest,
)
from supervision.settings import CALENDAR, MIGRATIONS

TICK_INTERVAL = 5.0
#: how long a rating or a status lookup waits for intake to check the query code
INTAKE_TIMEOUT_SECONDS = 10


class SupervisionService(inspection.InspectionEntrypoints, base.ServiceBase):
    """电子监察: watches every step of every case."""

    name = "supervision"
    db = Database(metadata, MIGRATIONS)
    deadlines = Deadlines()
    record = EventRecorder()
    intake = ServiceRpc("intake")  # the query code is intake's: a rating or a status lookup proves it there

    @every_event_handler(AUDITED_SERVICES)  # type: ignore[untyped-decorator]
    def record_event(self, body: dict[str, Any]) -> None:
        """Append the event to the audit log once, chained to the record before it; bring its case clock up to date.

        Recorded with the events other workers received meanwhile, in one transaction (``recording``).
        """
        self.record(recording.Received(Event.from_message(body), body))

    @timer(interval=TICK_INTERVAL)  # type: ignore[untyped-decorator]
    def raise_due_lights(self) -> None:
        """Raise every light fallen due since the last tick, in one replica at a time; a late tick catches up."""
        with self.singleton("deadline-tick", ttl_seconds=120) as mine:
            if mine:
                watch.tick(self.db, self.deadlines, settings.now(), settings.rules())
                metrics.SUPERVISION_TICK.set_to_current_time()  # an alert fires when this goes stale

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def urge(self, request: dict[str, Any]) -> dict[str, Any]:
        """督办: a supervising post orders an overdue case or stage finished by a new deadline (``case.urged``)."""
        data = load_or_fail(UrgeRequest(), request, "urging notice")
        now = settings.now()
        rules = settings.rules()
        with self.db.unit_of_work() as uow:
            clock = watch.load_clock(uow.session, data["case_number"])
            limits = lights.thresholds_for(rules.thresholds, clock.tenant, clock.item_code)
            target = duties.check_urge(clock, rules.calendar, limits, data["target"], data["urged_by"], now)
            deadline = lights.urging_deadline(now, rules.calendar, limits, data["working_days"])
            uow.session.add(UrgingRow(case_number=clock.case_number, target=target.target, urged_by=data["urged_by"],
                                      note=data["note"], deadline=deadline, urged_at=now))
            watch.emit_audited(uow, new_event(CASE_URGED, clock.case_number, {
                "target": target.target, "stage": target.stage, "post": target.post, "tenant": clock.tenant,
                "item_code": clock.item_code, "urged_by": data["urged_by"], "deadline": deadline,
                "note": data["note"], "kind": clock.kind}, now))
            uow.session.flush()
            next_at = watch.reconcile(uow, clock.case_number, now, rules)
        self.deadlines.schedule(clock.case_number, next_at)
        return {"case_number": clock.case_number, "target": target.target, "deadline": deadline.isoformat()}

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def enter_delay_reason(self, request: dict[str, Any]) -> dict[str, Any]:
        """延期说明: the post owning an overdue case or stage says why, once."""
        data = load_or_fail(DelayReasonRequest(), request, "delay reason")
        now = settings.now()
        rules = settings.rules()
        with self.db.unit_of_work() as uow:
            clock = watch.load_clock(uow.session, data["case_number"])
            limits = lights.thresholds_for(rules.thresholds, clock.tenant, clock.item_code)
            given = uow.session.scalars(select(DelayReasonRow.id).where(
                DelayReasonRow.case_number == clock.case_number,
                DelayReasonRow.target == duties.canonical_target(clock, data["target"]))).first()
            target = duties.check_delay_reason(clock, rules.calendar, limits, data["target"], data["post"], now,
                                               already_given=given is not None)
            uow.session.add(DelayReasonRow(case_number=clock.case_number, target=target.target, post=data["post"],
                                           reason=data["reason"], entered_at=now))
        return {"case_number": clock.case_number, "target": target.target, "reason": data["reason"]}

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def case_supervision(self, case_number: str) -> dict[str, Any]:
        """Everything supervision knows of one case: clock, stopped periods, stages, lights, urgings, delay reasons."""
        with self.db.read() as session:
            clock = watch.load_clock(session, case_number)
            if not clock.known and not clock.stages:
                raise NotFound(f"no case {case_number}", {"case_number": ["unknown"]})
            record = session.get(CaseClockRow, case_number)
            return {
                "case_number": case_number, "tenant": clock.tenant, "item_code": clock.item_code,
                "state": record.state if record else "pending",
                "accepted_at": iso(clock.accepted_at),
                "promised_date": iso(clocks.promised_date(clock, CALENDAR)),
                "deadline": iso(clocks.case_deadline(clock, CALENDAR)),
                "stopped_periods": [{**asdict(stop), "stopped_at": iso(stop.stopped_at),
                                     "resumed_at": iso(stop.resumed_at)} for stop in clock.stops],
                "stages": [{"task_id": s.task_id, "stage": s.stage, "post": s.post, "opened_at": iso(s.opened_at),
                            "deadline": iso(clocks.stage_deadline(s, clock.stops, CALENDAR)),
                            "completed_at": iso(s.completed_at)} for s in clock.stages],
                "lights": [{"target": r.target, "stage": r.stage, "post": r.post, "level": r.level,
                            "due_at": iso(r.due_at)} for r in session.scalars(
                                select(LightRow).where(LightRow.case_number == case_number).order_by(LightRow.id))],
                "urgings": [{"target": r.target, "urged_by": r.urged_by, "deadline": iso(r.deadline)}
                            for r in session.scalars(select(UrgingRow).where(UrgingRow.case_number == case_number))],
                "delay_reasons": [{"target": r.target, "post": r.post, "reason": r.reason} for r in session.scalars(
                    select(DelayReasonRow).where(DelayReasonRow.case_number == case_number))],
            }

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def rate_case(self, request: dict[str, Any]) -> dict[str, Any]:
        """每事一卡: rate a completed case once; a bad rating opens a rectification due in 5 working days."""
        data = load_or_fail(RatingRequest(), request, "rating")
        self._prove_query_code(data["application_number"], data["query_code"], ratings.UNKNOWN)
        now = settings.now()
        with self.db.unit_of_work() as uow:
            clock = watch.load_clock(uow.session, data["application_number"])
            already = uow.session.get(RatingRow, clock.case_number) is not None
            rating, event = ratings.rate(clock, level=data["level"], comment=data["comment"], now=now,
                                         calendar=settings.rules().calendar, already_rated=already)
            uow.session.add(RatingRow(case_number=rating.case_number, tenant=clock.tenant, item_code=clock.item_code,
                                      level=rating.level, comment=rating.comment, rated_at=now,
                                      rectification_due=rating.rectification_due))
            watch.emit_audited(uow, event)
        metrics.RATINGS.labels(clock.tenant, str(rating.level)).inc()
        return {"application_number": rating.case_number, "level": rating.level,
                "rectification_due": iso(rating.rectification_due)}

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def public_status(self, application_number: str, query_code: str) -> dict[str, Any]:
        """What the public sees of one application, given its number and the query code on its receipt."""
        self._prove_query_code(str(application_number), str(query_code), status.NOT_FOUND)
        rules = settings.rules()
        with self.db.read() as session:
            clock = watch.load_clock(session, str(application_number))
            reasons = {r.target: r.reason for r in session.scalars(
                select(DelayReasonRow).where(DelayReasonRow.case_number == clock.case_number))}
        limits = lights.thresholds_for(rules.thresholds, clock.tenant, clock.item_code)
        return status.public_status(clock, rules.calendar, limits, settings.now(), reasons)

    def _prove_query_code(self, number: str, code: str, refusal: str) -> None:
        """The code on the applicant's receipt, checked with intake, which issued it: the audit trail keeps none.

        A wrong code and an unknown number get the same NotFound, word for word.
        """
        try:
            with eventlet.Timeout(INTAKE_TIMEOUT_SECONDS):
                receipt = self.intake.get_application(number)
        except NotFound:
            receipt = None
        except (eventlet.Timeout, UnknownService) as exc:
            raise Unavailable("intake, which checks query codes, is not answering; try again shortly") from exc
        issued = str((receipt or {}).get("query_code") or "")
        if not issued or not hmac.compare_digest(issued.encode(), str(code).encode()):
            raise NotFound(refusal, {"application_number": ["not found"]})

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def statistics(self, request: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Figures per post, department, item and tenant, with the assessment grade of posts and departments."""
        return self._statistics(request or {})

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def statistics_csv(self, request: dict[str, Any] | None = None) -> str:
        """The same figures as CSV text (UTF-8, Chinese headers), one line per stage."""
        return statistics.to_csv(self._statistics(request or {}))

    def _statistics(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        data = load_or_fail(StatisticsRequest(), request, "statistics request")
        period = (statistics.quarter(data["quarter"]) if data["quarter"]
                  else statistics.Period(data["period_from"], data["period_to"]))
        with self.db.read() as session:
            summaries_now = summaries.load(session, data["tenant"])
            light_facts = [statistics.LightFact(r.case_number, r.post, r.level, r.raised_at)
                           for r in session.scalars(select(LightRow))]
            rating_facts = [statistics.RatingFact(r.case_number, r.level, r.rated_at)
                            for r in session.scalars(select(RatingRow))]
        return statistics.compute(summaries_now, light_facts, rating_facts, CALENDAR, period, data["tenant"])

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def rebuild_summaries(self) -> dict[str, Any]:
        """Reconciliation: rebuild every case's and complaint's summary from the audit log; schedule its lights."""
        with self.db.unit_of_work() as uow:
            rebuilt = summaries.rebuild(uow.session, CALENDAR, settings.now())
        for case_number, next_at in rebuilt:
            self.deadlines.schedule(case_number, next_at)
        return {"rebuilt": len(rebuilt)}

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def violations(self, request: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every violation raised, oldest first, of one tenant or all, with its evidence; withdrawn ones if asked."""
        data = load_or_fail(ViolationListRequest(), request or {}, "violations request")
        query = select(ViolationRow).order_by(ViolationRow.id)
        if data["tenant"]:
            query = query.where(ViolationRow.tenant == data["tenant"])
        if not data["include_withdrawn"]:  # a disproved accusation is never published
            query = query.where(ViolationRow.withdrawn_at.is_(None))
        if data["settled_seconds"]:
            query = query.where(ViolationRow.raised_at <= settings.now() - timedelta(seconds=data["settled_seconds"]))
        with self.db.read() as session:
            return [watch.violation_view(row) for row in session.scalars(query)]

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def file_complaint(self, request: dict[str, Any]) -> dict[str, Any]:
        """信访 accepted online: numbered, routed to the petition office, due in the tenant's working days."""
        data = load_or_fail(ComplaintRequest(), request, "complaint")
        office = tenant_of(data["tenant"])
        now = settings.now()
        rules = settings.rules()
        query_code = f"{secrets.randbelow(10**6):06d}"
        with self.db.unit_of_work() as uow:
            year = now.astimezone(CALENDAR.tz).year
            number = complaints.complaint_number(
                office.prefix, year, next_value(uow.session, sequences, f"complaint:{office.code}:{year}"))
            limits = lights.thresholds_for(rules.thresholds, office.code, clocks.COMPLAINT_ITEM)
            filed = complaints.file(number, office.code, now, CALENDAR, limits.complaint_working_days)
            uow.session.add(ComplaintRow(
                number=number, tenant=office.code, complainant_name=data["complainant"]["name"],
                complainant_mobile=data["complainant"]["mobile"], subject=data["subject"], text=data["text"],
                case_number=data["case_number"], handler_post=filed.handler_post, filed_at=now,
                deadline=filed.deadline, query_code=query_code))
            watch.emit_audited(uow, new_event(COMPLAINT_FILED, number, {
                "tenant": office.code, "complainant": data["complainant"], "subject": data["subject"],
                "handler_post": filed.handler_post, "deadline": filed.deadline, "about_case": data["case_number"]},
                now))
            uow.session.flush()
            next_at = watch.reconcile(uow, number, now, rules)
        self.deadlines.schedule(number, next_at)
        return {"number": number, "query_code": query_code, "handler_post": filed.handler_post,
                "deadline": filed.deadline.isoformat()}

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def complaint_status(self, number: str, query_code: str) -> dict[str, Any]:
        """What the complainant sees with the number and query code: progress and answer, personal data masked."""
        with self.db.read() as session:
            row = session.get(ComplaintRow, str(number))
            if row is None or not views.query_code_matches(row.query_code, str(query_code)):
                # a wrong code answers exactly as an unknown number does: it reveals nothing
                raise NotFound(f"no complaint {number!r} with that query code", {"code": ["does not match"]})
            raised = list(session.scalars(select(LightRow.level).where(LightRow.case_number == row.number)))
            view = _complaint_view(row, raised)
            return {**view, "complainant": {**view["complainant"], "name": views.mask_name(row.complainant_name)},
                    "answer": row.answer if row.resolved_at else None}

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def current_lights(self, request: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The board: the strongest light on every case and stage, red first, of one tenant or all, filtered."""
        only = views.LightFilter(**load_or_fail(LightsRequest(), request or {}, "lights request"))
        with self.db.read() as session:
            raised = [views.Light(r.case_number, r.target, r.stage, r.post, r.tenant, r.level, r.due_at, r.raised_at)
                      for r in session.scalars(select(LightRow))]
            states = dict(session.execute(select(CaseClockRow.case_number, CaseClockRow.state)).tuples().all())
        return [{**asdict(light), "due_at": iso(light.due_at), "raised_at": iso(light.raised_at),
                 "case_state": states.get(light.case_number, "pending")}
                for light in views.strongest_lights(raised, only)]

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def resolve_complaint(self, request: dict[str, Any]) -> dict[str, Any]:
        """The handler post answers a complaint, once (``complaint.resolved``; late if past its deadline)."""
        data = load_or_fail(ResolveComplaintRequest(), request, "complaint answer")
        now = settings.now()
        with self.db.unit_of_work() as uow:
            row = uow.session.get(ComplaintRow, data["number"])
            if row is None:
                raise NotFound(f"no complaint {data['number']}", {"number": ["unknown"]})
            done = complaints.resolve(_complaint(row), data["post"], now)
            row.resolved_at, row.answer = done.resolved_at, data["answer"]
            late = complaints.is_late(done)
            watch.emit_audited(uow, new_event(COMPLAINT_RESOLVED, row.number, {
                "tenant": row.tenant, "handler_post": row.handler_post, "late": late,
                "complainant": {"name": row.complainant_name, "mobile": row.complainant_mobile}}, now))
            uow.session.flush()
            next_at = watch.reconcile(uow, row.number, now, settings.rules())
        self.deadlines.schedule(data["number"], next_at)
        return {"number": data["number"], "resolved_at": now.isoformat(), "late": late}

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def complaints(self, request: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Complaints of one tenant or all, with their light now; the complainant's mobile masked."""
        data = load_or_fail(ViolationsRequest(), request or {}, "complaints request")
        query = select(ComplaintRow).order_by(ComplaintRow.filed_at)
        lit = select(LightRow.case_number, LightRow.level).join(ComplaintRow,
                                                                ComplaintRow.number == LightRow.case_number)
        if data["tenant"]:
            query = query.where(ComplaintRow.tenant == data["tenant"])
            lit = lit.where(ComplaintRow.tenant == data["tenant"])
        with self.db.read() as session:
            rows = session.scalars(query).all()
            raised: dict[str, list[str]] = {}
            for number, level in session.execute(lit):
                raised.setdefault(number, []).append(level)
            return [_complaint_view(row, raised.get(row.number, [])) for row in rows]


def _complaint(row: ComplaintRow) -> complaints.Complaint:
    return complaints.Complaint(row.number, row.tenant, row.handler_post, row.filed_at, row.deadline,
                                row.resolved_at)


def _complaint_view(row: ComplaintRow, raised: list[str]) -> dict[str, Any]:
    return {"number": row.number, "tenant": row.tenant, "subject": row.subject,
            "complainant": {"name": row.complainant_name, "mobile": mask_mobile(row.complainant_mobile)},
            "case_number": row.case_number, "handler_post": row.handler_post, "filed_at": iso(row.filed_at),
            "deadline": iso(row.deadline), "resolved_at": iso(row.resolved_at),
            "light": complaints.standing(raised, row.resolved_at is not None)}

