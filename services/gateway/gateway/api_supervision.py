"""Routes of the window, the supervision office and the public's complaints: payments, lights, statistics,
urging, delay reasons, 信访. Mixed into GatewayService (nameko collects entrypoints from base classes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from werkzeug.wrappers import Request, Response

from gateway import domain, schemas
from gateway.limits import http
from gateway.rest import endpoint, json_body, query, required_query
from sunlight.errors import NotFound, ValidationFailed


class SupervisionRoutes:
    """Payments at the window, the supervision board's data, urging and delay reasons, complaints."""

    # provided by GatewayService
    call: Callable[..., Any]
    principal: Callable[[Request], domain.Principal]
    public_write: Callable[[Request], None]
    guard: Callable[..., Any]  # run a rule; a refusal is a 403 and an access.denied event

    def case_tenant(self, number: str, service: str = "workflow") -> str:
        """Whose case it is, as the service that acts on it knows it (404 if it does not)."""
        method = "case_supervision" if service == "supervision" else "get_case"
        return str(self.call(service, method, number)["tenant"])

    @http("POST", "/api/cases/<number>/payments")  # type: ignore[untyped-decorator]
    @endpoint
    def record_payment(self, request: Request, number: str) -> tuple[int, Any]:
        """The window records a listed fee as paid; the permit is issued once approved and all is paid."""
        who = self.principal(request)
        body = json_body(request, schemas.PaymentRequestSchema(), "payment")
        tenant = self.case_tenant(number)
        self.guard(request, lambda: domain.may_record_payment(who, tenant), who)
        return 201, self.call("registry", "record_payment", {**body, "case_number": number, "clerk": who.username})

    def board(self, asked: dict[str, Any], tenant: str | None) -> list[dict[str, Any]]:
        """The lights of one tenant (None: all), narrowed as asked."""
        return list(self.call("supervision", "current_lights", {
            "tenant": tenant, "department": asked.get("department"), "post": asked.get("post"),
            "level": asked.get("colour")}))

    @http("GET", "/api/supervision/lights")  # type: ignore[untyped-decorator]
    @endpoint
    def supervision_lights(self, request: Request) -> tuple[int, Any]:
        """The board: strongest light per case and stage, red first; own tenant (inspectors: any)."""
        who = self.principal(request)
        asked = query(request, schemas.LightsQuerySchema(), "lights query")
        return 200, self.board(asked, self.guard(request, lambda: domain.watched_tenant(who, asked.get("tenant")), who))

    @http("GET", "/api/supervision/stats")  # type: ignore[untyped-decorator]
    @endpoint
    def supervision_stats(self, request: Request) -> tuple[int, Any]:
        """Figures per post, department, item and tenant; CSV with ?format=csv or Accept: text/csv."""
        who = self.principal(request)
        asked = query(request, schemas.StatisticsQuerySchema(), "statistics query")
        tenant = self.guard(request, lambda: domain.watched_tenant(who, asked.get("tenant")), who)
        wanted = {"tenant": tenant, "quarter": asked.get("quarter"),
                  "period_from": _iso(asked.get("period_from")), "period_to": _iso(asked.get("period_to"))}
        if asked.get("format") == "csv" or (
                "format" not in asked and request.accept_mimetypes.best_match(["application/json", "text/csv"])
                == "text/csv"):
            text = self.call("supervision", "statistics_csv", wanted)
            return 200, Response(text, mimetype="text/csv", headers={
                "Content-Disposition": 'attachment; filename="statistics.csv"'})
        return 200, self.call("supervision", "statistics", wanted)

    @http("GET", "/api/supervision/violations")  # type: ignore[untyped-decorator]
    @endpoint
    def supervision_violations(self, request: Request) -> tuple[int, Any]:
        """Violations of the own tenant (inspectors: any), oldest first; withdrawn ones shown and marked so."""
        who = self.principal(request)
        asked = query(request, schemas.ViolationsQuerySchema(), "violations query")
        tenant = self.guard(request, lambda: domain.watched_tenant(who, asked.get("tenant")), who)
        return 200, self.call("supervision", "violations", {"tenant": tenant, "include_withdrawn": True})

    @http("POST", "/api/cases/<number>/urgings")  # type: ignore[untyped-decorator]
    @endpoint
    def urge(self, request: Request, number: str) -> tuple[int, Any]:
        """督办: the tenant's supervisor orders an overdue case or stage finished by a new deadline."""
        who = self.principal(request)
        body = json_body(request, schemas.UrgeRequestSchema(), "urging")
        tenant = self.case_tenant(number, "supervision")
        post = self.guard(request, lambda: domain.supervising_post(who, tenant), who)
        return 201, self.call("supervision", "urge", {**body, "case_number": number, "urged_by": post})

    @http("POST", "/api/cases/<number>/delay-reasons")  # type: ignore[untyped-decorator]
    @endpoint
    def give_delay_reason(self, request: Request, number: str) -> tuple[int, Any]:
        """延期说明: a holder of the post answerable for an overdue case or stage says why, once."""
        who = self.principal(request)
        body = json_body(request, schemas.DelayReasonRequestSchema(), "delay reason")
        tenant = self.case_tenant(number, "supervision")
        self.guard(request, lambda: domain.may_give_delay_reason(who, body["post"], tenant), who)
        return 201, self.call("supervision", "enter_delay_reason", {**body, "case_number": number})

    @http("POST", "/api/complaints")  # type: ignore[untyped-decorator]
    @endpoint
    def file_complaint(self, request: Request) -> tuple[int, Any]:
        """信访 online: a number and a query code to follow it, routed to the petition office."""
        self.public_write(request)
        body = json_body(request, schemas.ComplaintRequestSchema(), "complaint")
        try:
            filed = self.call("supervision", "file_complaint", body)
        except NotFound as exc:  # an unknown tenant is a bad field of the form, not a missing resource
            raise ValidationFailed(str(exc), {"tenant": ["unknown tenant"]}) from exc
        return 201, {"number": filed["number"], "query_code": filed["query_code"], "deadline": filed["deadline"]}

    @http("GET", "/api/complaints/<number>")  # type: ignore[untyped-decorator]
    @endpoint
    def complaint_status(self, request: Request, number: str) -> tuple[int, Any]:
        """A complaint's progress and answer for whoever holds its query code; names and phones masked."""
        return 200, self.call("supervision", "complaint_status", number, required_query(request, "code"))

    @http("GET", "/metrics")  # type: ignore[untyped-decorator]
    def web_metrics(self, request: Request) -> Response:
        """The same Prometheus figures as the metrics port, for a scraper that only reaches the web port."""
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())
