"""纪检监察: discipline inspection's read-only view across every tenant — cases, a case's full audit trail,
lights, violations, statistics and the verification of the audit chain. Inspectors only; nothing here writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request

from gateway import domain, schemas
from gateway.limits import http
from gateway.rest import endpoint, query


class InspectionRoutes:
    """GET routes for the inspector role; every other role is refused (403, audited as access.denied)."""

    # provided by GatewayService and SupervisionRoutes
    call: Callable[..., Any]
    principal: Callable[[Request], domain.Principal]
    guard: Callable[..., Any]
    board: Callable[[dict[str, Any], str | None], list[dict[str, Any]]]

    def inspector(self, request: Request) -> domain.Principal:
        who = self.principal(request)
        self.guard(request, lambda: domain.may_inspect(who), who)
        return who

    @http("GET", "/api/inspection/cases")  # type: ignore[untyped-decorator]
    @endpoint
    def inspect_cases(self, request: Request) -> tuple[int, Any]:
        """Every case of every tenant with its state, lights and violations."""
        self.inspector(request)
        return 200, self.call("supervision", "inspect_cases")

    @http("GET", "/api/inspection/cases/<number>/trail")  # type: ignore[untyped-decorator]
    @endpoint
    def inspect_case_trail(self, request: Request, number: str) -> tuple[int, Any]:
        """A case's (or complaint's) whole audit trail, every event with its body and hash."""
        self.inspector(request)
        return 200, self.call("supervision", "inspect_case_trail", number)

    @http("GET", "/api/inspection/lights")  # type: ignore[untyped-decorator]
    @endpoint
    def inspect_lights(self, request: Request) -> tuple[int, Any]:
        """The lights of every tenant (or the one asked), narrowed by department, post or colour."""
        self.inspector(request)
        asked = query(request, schemas.LightsQuerySchema(), "lights query")
        return 200, self.board(asked, asked.get("tenant"))

    @http("GET", "/api/inspection/violations")  # type: ignore[untyped-decorator]
    @endpoint
    def inspect_violations(self, request: Request) -> tuple[int, Any]:
        """Every violation raised, in every tenant, with the audit records that prove it."""
        self.inspector(request)
        return 200, self.call("supervision", "inspect_violations")

    @http("GET", "/api/inspection/statistics")  # type: ignore[untyped-decorator]
    @endpoint
    def inspect_statistics(self, request: Request) -> tuple[int, Any]:
        """Statistics across every tenant, all time."""
        self.inspector(request)
        return 200, self.call("supervision", "inspect_statistics")

    @http("GET", "/api/inspection/chain")  # type: ignore[untyped-decorator]
    @endpoint
    def verify_chain(self, request: Request) -> tuple[int, Any]:
        """Recompute the audit log's hash chain; the first broken record, if any."""
        self.inspector(request)
        return 200, self.call("supervision", "verify_audit_chain")
