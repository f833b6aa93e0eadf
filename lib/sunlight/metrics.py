"""Prometheus metrics: per-entrypoint calls, latency and errors, and the domain counters.

Every metric Sunlight exports is defined here, once, so dashboards and alert rules can be checked
against this list. Each service serves them (and ``/healthz``) on its own ``METRICS_PORT``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import eventlet
import eventlet.wsgi
from nameko import config
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from nameko.timer import Timer
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from sunlight import heap
from sunlight.calendar import OVERRIDES_ENV_VAR, WorkingCalendar

log = logging.getLogger(__name__)

ENTRYPOINT_CALLS = Counter(
    "sunlight_entrypoint_calls_total", "Entrypoint calls", ["service", "entrypoint", "kind"]
)
ENTRYPOINT_ERRORS = Counter(
    "sunlight_entrypoint_errors_total",
    "Entrypoint calls that failed unexpectedly (a refused request is not an error: see refusals)",
    ["service", "entrypoint", "kind", "error"],
)
ENTRYPOINT_REFUSALS = Counter(
    "sunlight_entrypoint_refusals_total",
    "Calls answered with a typed refusal the caller must act on (invalid, incomplete, not found, ...)",
    ["service", "entrypoint", "error"],
)
ENTRYPOINT_DURATION = Histogram(
    "sunlight_entrypoint_duration_seconds",
    "Entrypoint latency",
    ["service", "entrypoint", "kind"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_PUBLISHED = Counter("sunlight_events_published_total", "Events published from the outbox", ["service"])
OUTBOX_PENDING = Gauge("sunlight_outbox_pending", "Outbox events not yet published", ["service"])
EVENTS_RETRIED = Counter("sunlight_events_retried_total", "Event deliveries scheduled for retry", ["service", "queue"])
EVENTS_DEAD_LETTERED = Counter(
    "sunlight_events_dead_lettered_total", "Events sent to the dead-letter queue", ["service", "queue"]
)
EVENTS_DUPLICATE = Counter(
    "sunlight_events_duplicate_total", "Redelivered events ignored", ["service", "consumer"]
)

APPLICATIONS_ACCEPTED = Counter(
    "sunlight_applications_accepted_total", "Applications accepted at a window", ["tenant", "item"]
)
APPLICATIONS_INCOMPLETE = Counter(
    "sunlight_applications_incomplete_total", "Applications answered with a one-time notice", ["tenant", "item"]
)
CASES_OPENED = Counter("sunlight_cases_opened_total", "Cases opened", ["tenant", "item"])
CASES_CLOSED = Counter("sunlight_cases_closed_total", "Cases closed", ["tenant", "item", "outcome"])
CASES_OPEN = Gauge("sunlight_cases_open", "Cases open now", ["tenant"])
TASKS_COMPLETED = Counter("sunlight_tasks_completed_total", "Tasks completed", ["stage", "decision"])
CERTIFICATES_ISSUED = Counter(
    "sunlight_certificates_issued_total", "Certificates and permits issued", ["tenant", "kind"]
)
SUBMISSION_TO_CERTIFICATE = Histogram(
    "sunlight_submission_to_certificate_seconds",
    "Per case: from acceptance at the window to the certificate or permit issued (on-the-spot fast track)",
    ["tenant", "item"],
    buckets=(0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200, 28800, 86400, 604800),
)
PAYMENTS_RECORDED = Counter("sunlight_payments_recorded_total", "Fees recorded as paid at a window", ["tenant"])
QUERY_CODE_SEALS_BROKEN = Counter(
    "sunlight_query_code_seals_broken_total", "Acceptance SMS sent without the query code: its seal did not open")
SMS_SENT = Counter("sunlight_sms_sent_total", "SMS handed to a provider", ["provider", "template", "status"])
WARNINGS_RAISED = Counter(
    "sunlight_warnings_raised_total", "Prompts, yellow and red lights raised", ["level", "tenant", "department"]
)
SUPERVISION_TICK = Gauge(
    "sunlight_supervision_tick_last_run_timestamp_seconds",
    "When supervision last looked for lights fallen due (set by the replica holding the tick lock)",
)
VIOLATIONS = Counter(
    "sunlight_violations_total", "Violations raised, and raised ones withdrawn when late records disproved them",
    ["tenant", "kind", "outcome"],
)
RATINGS = Counter("sunlight_ratings_total", "Applicants' ratings of completed cases (每事一卡)", ["tenant", "level"])
TASKS_CLOSED_ON_TIME = Counter(
    "sunlight_tasks_closed_total", "Tasks completed, by whether they met their stage limit", ["tenant", "on_time"]
)
AUDIT_RECORDS = Counter("sunlight_audit_records_total", "Events appended to the audit log", ["source"])

# notify's SMS delivery (issue 7)
SMS_DELIVERED = Counter("sunlight_sms_delivered_total", "SMS the SMSC receipted as delivered", ["provider", "template"])
SMS_FAILED = Counter(
    "sunlight_sms_failed_total", "SMS that will not arrive (refused at submit or failed receipt)",
    ["provider", "template", "stage"],
)
SMS_RETRIED = Counter(
    "sunlight_sms_retried_total", "SMS submits put off after a transient error (throttled, SMSC down)",
    ["provider", "reason"],
)
SMS_STUCK = Gauge("sunlight_sms_stuck", "SMS stored but not handed to the SMSC within the limit", ["service"])
SMS_EVENT_TO_SUBMIT = Histogram(
    "sunlight_sms_event_to_submit_seconds", "From the event that caused an SMS to the SMSC taking it",
    ["template"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600),
)
SMS_SUBMIT_TO_RECEIPT = Histogram(
    "sunlight_sms_submit_to_receipt_seconds", "From the SMSC taking an SMS to its delivery receipt",
    ["provider"], buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600),
)

# intake (issue 4): refusals filed with a reason, corrections, repeats answered with the first receipt
APPLICATIONS_REFUSED = Counter(
    "sunlight_applications_refused_total", "Applications refused at a window, by filed reason",
    ["tenant", "item", "reason"],
)
APPLICATIONS_CORRECTED = Counter(
    "sunlight_applications_corrected_total", "Materials re-submitted for correction", ["tenant", "item"]
)
APPLICATIONS_REPEATED = Counter(
    "sunlight_applications_repeated_total", "Repeated submissions answered with the first receipt", ["tenant", "item"]
)

# the working-day calendar: years answered from the holiday law alone until the notice is loaded
CALENDAR_PROVISIONAL_YEAR = Gauge(
    "sunlight_calendar_provisional_year",
    "Years the working-day calendar counts from the holiday law alone, with no official schedule "
    "loaded (value: the year, so alerts can compare it with year())",
    ["service", "year"],
)


def report_provisional_calendar(service: str, calendar: WorkingCalendar) -> None:
    """Export the calendar's provisional years and warn once, naming them and the fix."""
    years = calendar.provisional_years()
    for year in years:
        CALENDAR_PROVISIONAL_YEAR.labels(service, str(year)).set(year)
    if years:
        listed = ", ".join(str(year) for year in years)
        log.warning(
            "working-day calendar is PROVISIONAL for %s: no official holiday schedule is loaded, so working "
            "days are counted from the holiday law alone (statutory days off, no make-up working weekends). "
            "Fix: when the State Council notice for a year is out, add that year with complete: true to the "
            "calendar override file named by %s (format: lib/sunlight/data/calendar-overrides.yml) and "
            "restart the services", listed, OVERRIDES_ENV_VAR)


def _wsgi_app(environ: dict[str, Any], start_response: Any, ready: Any = lambda: True) -> list[bytes]:
    path = environ.get("PATH_INFO", "/")
    if path == "/healthz":
        if not ready():
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"starting: consumers not bound yet\n"]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok\n"]
    if path == "/metrics":
        start_response("200 OK", [("Content-Type", CONTENT_TYPE_LATEST)])
        return [generate_latest()]
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found\n"]


class Metrics(DependencyProvider):  # type: ignore[misc]
    """Serve /metrics and /healthz; time and count every entrypoint of the service."""

    def setup(self) -> None:
        self.port = int(config.get("METRICS_PORT", 0))
        self.host = str(config.get("METRICS_HOST", "0.0.0.0"))  # noqa: S104 - scraped from outside
        self._started: dict[str, float] = {}
        self._by_entrypoint: dict[Any, tuple[Any, Any]] = {}
        # the same files the service's own calendar reads; a bad override file stops the start here too
        report_provisional_calendar(self.container.service_name, WorkingCalendar.default())

    def start(self) -> None:
        heap.settle()  # every service's container starts this: the startup heap is built by now
        if not self.port:
            return
        self.socket = eventlet.listen((self.host, self.port))
        self.container.spawn_managed_thread(self._serve, identifier="metrics-http")

    def _serve(self) -> None:
        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            return _wsgi_app(environ, start_response, self.consumers_ready)

        eventlet.wsgi.server(self.socket, app, log_output=False, socket_timeout=10)

    def consumers_ready(self) -> bool:
        """Healthy only once every RPC and event queue is bound: callers can then reach us."""
        for extension in self.container.extensions:
            ready = getattr(getattr(extension, "consumer", None), "ready", None)
            if ready is not None and not ready.is_set():  # a threading.Event in nameko 3
                return False
        return True

    def stop(self) -> None:
        sock = getattr(self, "socket", None)
        if sock is not None:
            sock.close()

    def worker_setup(self, worker_ctx: Any) -> None:
        self._started[worker_ctx.call_id] = time.perf_counter()

    def _series(self, entrypoint: Any) -> tuple[Any, Any]:
        """The entrypoint's call counter and duration histogram, looked up once: every worker records both."""
        series = self._by_entrypoint.get(entrypoint)
        if series is None:
            labels = (self.container.service_name, entrypoint.method_name, entrypoint_kind(entrypoint))
            series = self._by_entrypoint[entrypoint] = (ENTRYPOINT_CALLS.labels(*labels),
                                                        ENTRYPOINT_DURATION.labels(*labels))
        return series

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        started = self._started.pop(worker_ctx.call_id, None)
        entrypoint = worker_ctx.entrypoint
        calls, duration = self._series(entrypoint)
        calls.inc()
        if started is not None:
            duration.observe(time.perf_counter() - started)
        if exc_info is None:
            return
        service = self.container.service_name
        name, kind = entrypoint.method_name, entrypoint_kind(entrypoint)
        error = exc_info[0].__name__
        if isinstance(exc_info[1], getattr(entrypoint, "expected_exceptions", ()) or ()):
            ENTRYPOINT_REFUSALS.labels(service, name, error).inc()
        else:
            ENTRYPOINT_ERRORS.labels(service, name, kind, error).inc()


def entrypoint_kind(entrypoint: Any) -> str:
    """rpc, event or timer: dashboards look at what callers wait for, not at housekeeping timers."""
    if isinstance(entrypoint, Rpc):
        return "rpc"
    if isinstance(entrypoint, EventHandler):
        return "event"
    if isinstance(entrypoint, Timer):
        return "timer"
    return type(entrypoint).__name__.lower()
