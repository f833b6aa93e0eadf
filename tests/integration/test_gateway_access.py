"""The authorization matrix (issue 12, security 1): every route the gateway serves — JSON API and pages, read
from the service's own entrypoints as nameko collects them — × every role (anonymous, applicant, clerk,
reviewer, leader, supervisor, inspector, admin) × a resource of the caller's own tenant and of another. What
may pass is written once, in ALLOWED; a served route missing from it fails the test, so a new route cannot be
forgotten.

"Passes" means the gateway let the request through to the service that decides: any answer but a refusal
(404 for a made-up task, 409 for a case that is not overdue, 422 for an empty form all count). A refusal is
401 without a token (a staff page redirects to its sign-in page instead), 403 with one — audited as
access.denied, as test_gateway.py checks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from gateway.openapi import build_spec, http_routes
from gateway.service import SESSION_COOKIE, GatewayService
from tests.integration.test_gateway import PASSWORD, http, page, sign_in
from tests.integration.test_gateway import gs_case as gs_case  # noqa: F401 - fixtures: a gs-city case, and
from tests.integration.test_gateway import stack as stack  # noqa: F401 - the stack with every service, demo users
from tools.drive import sample_application, wait_for
from tools.stack import Stack

pytestmark = pytest.mark.integration

#: one demo user per role; the staff among them are of gs-city, so gs-city is "own" and hz-land "other"
USERS = (None, "applicant", "gs-clerk", "gs-reviewer", "gs-leader", "gs-supervisor", "inspector", "admin")
EVERYONE = frozenset(USERS)
NOT_INSPECTOR = EVERYONE - {"inspector"}  # discipline inspection only reads, public forms included
GS_STAFF = frozenset({"gs-clerk", "gs-reviewer", "gs-leader", "gs-supervisor"})
INSPECTOR = frozenset({"inspector"})
NOBODY: frozenset[str | None] = frozenset()


@dataclass(frozen=True)
class Allowed:
    own: frozenset[str | None]
    other: frozenset[str | None]


def public(who: frozenset[str | None] = EVERYONE) -> Allowed:
    return Allowed(who, who)


ALLOWED: dict[tuple[str, str], Allowed] = {
    ("GET", "/api/items"): public(),
    ("GET", "/api/items/{code}"): public(),
    ("POST", "/api/applications"): public(NOT_INSPECTOR),
    ("GET", "/api/applications/{number}/status"): public(),
    ("POST", "/api/session"): public(),
    ("GET", "/api/certificates/{number}"): public(),
    ("POST", "/api/ratings"): public(NOT_INSPECTOR),
    ("POST", "/api/complaints"): public(NOT_INSPECTOR),
    ("GET", "/api/complaints/{number}"): public(),
    ("GET", "/openapi.json"): public(),
    ("GET", "/healthz"): public(),
    ("GET", "/metrics"): public(),
    # the inbox of gs-city's approval-section reviewer post (other: hz-land's)
    ("GET", "/api/tasks"): Allowed(frozenset({"gs-reviewer", "gs-supervisor"}) | INSPECTOR, INSPECTOR),
    ("POST", "/api/tasks/{task_id}/decision"): Allowed(frozenset({"gs-reviewer"}), NOBODY),
    ("GET", "/api/cases/{number}"): Allowed(GS_STAFF | INSPECTOR, INSPECTOR),
    ("POST", "/api/cases/{number}/payments"): Allowed(frozenset({"gs-clerk"}), NOBODY),
    ("GET", "/api/supervision/lights"): Allowed(frozenset({"gs-leader", "gs-supervisor"}) | INSPECTOR, INSPECTOR),
    ("GET", "/api/supervision/stats"): Allowed(frozenset({"gs-leader", "gs-supervisor"}) | INSPECTOR, INSPECTOR),
    ("GET", "/api/supervision/violations"): Allowed(frozenset({"gs-leader", "gs-supervisor"}) | INSPECTOR,
                                                     INSPECTOR),
    ("POST", "/api/cases/{number}/urgings"): Allowed(frozenset({"gs-supervisor"}), NOBODY),
    ("POST", "/api/cases/{number}/delay-reasons"): Allowed(frozenset({"gs-reviewer"}), NOBODY),
    ("GET", "/api/inspection/cases"): public(INSPECTOR),
    ("GET", "/api/inspection/cases/{number}/trail"): public(INSPECTOR),
    ("GET", "/api/inspection/lights"): public(INSPECTOR),
    ("GET", "/api/inspection/violations"): public(INSPECTOR),
    ("GET", "/api/inspection/statistics"): public(INSPECTOR),
    ("GET", "/api/inspection/chain"): public(INSPECTOR),
    # pages: the portal is public; staff pages follow the same rules as their JSON twins
    ("GET", "/"): public(),
    ("GET", "/items/{code}"): public(),
    ("POST", "/items/{code}/apply"): public(NOT_INSPECTOR),
    ("GET", "/status"): public(),
    ("GET", "/staff/sign-in"): public(),
    ("POST", "/staff/sign-in"): public(),
    ("GET", "/staff/inbox"): Allowed(frozenset({"gs-reviewer", "gs-supervisor"}) | INSPECTOR, INSPECTOR),
    ("POST", "/staff/tasks/{task_id}/decision"): Allowed(frozenset({"gs-reviewer"}), NOBODY),
    ("GET", "/staff/cases/{number}"): Allowed(GS_STAFF | INSPECTOR, INSPECTOR),
    ("POST", "/staff/cases/{number}/delay-reason"): Allowed(frozenset({"gs-reviewer"}), NOBODY),
    ("GET", "/results"): public(),
    ("GET", "/rating"): public(),
    ("POST", "/rating"): public(NOT_INSPECTOR),
    ("GET", "/complaints"): public(),
    ("POST", "/complaints"): public(NOT_INSPECTOR),
    ("GET", "/complaints/status"): public(),
    # the supervision board's pages: their JSON twins' rules
    ("GET", "/supervision"): Allowed(frozenset({"gs-leader", "gs-supervisor"}) | INSPECTOR, INSPECTOR),
    ("GET", "/supervision/statistics"): Allowed(frozenset({"gs-leader", "gs-supervisor"}) | INSPECTOR, INSPECTOR),
    ("GET", "/supervision/chain"): public(frozenset({"gs-leader", "gs-supervisor"}) | INSPECTOR),
    ("GET", "/supervision/cases/{number}"): Allowed(frozenset({"gs-leader", "gs-supervisor"}) | INSPECTOR, INSPECTOR),
    ("POST", "/supervision/cases/{number}/urge"): Allowed(frozenset({"gs-supervisor"}), NOBODY),
}

SPEC = build_spec()
ROUTES = sorted(http_routes(GatewayService))
TENANTS = {"own": "gs-city", "other": "hz-land"}
UNKNOWN_CODE = "000000"


@pytest.fixture(scope="module")
def cases(stack: Stack, gs_case: str) -> dict[str, str]:
    """A real case in each tenant: gs-city (own) and hz-land (other), known to workflow and supervision."""
    status, receipt = http(stack, "POST", "/api/applications", sample_application(30, item_code="HZ-DJ-0101"))
    assert status == 201, receipt
    hz_case = str(receipt["application_number"])
    inspector = sign_in(stack, "inspector")
    for number in (gs_case, hz_case):
        wait_for(lambda n=number: http(stack, "GET", f"/api/inspection/cases/{n}/trail", headers=inspector)[0]
                 == 200 or None, timeout=20, what=f"supervision to know {number}")
    return {"own": gs_case, "other": hz_case}


@pytest.fixture(scope="module")
def tokens(stack: Stack) -> Iterator[dict[str | None, dict[str, str]]]:
    yield {user: sign_in(stack, user) if user else {} for user in USERS}


def request_for(route: tuple[str, str], whose: str, cases: dict[str, str]) -> tuple[str, Any]:
    """The path (with its query) and body that exercise one route on a resource of tenant ``whose``."""
    tenant, number = TENANTS[whose], cases[whose]
    reviewer_post = f"{tenant}/approval-section/reviewer"
    path = route[1].format(number=number, code="GS-CG-0201", task_id="no-such-task")
    if route[1] == "/api/complaints/{number}":
        path = f"/api/complaints/GS-XF-2026-999999?code={UNKNOWN_CODE}"
    query = {"/api/tasks": f"?post={reviewer_post}", "/staff/inbox": f"?post={reviewer_post}",
             "/api/supervision/lights": f"?tenant={tenant}", "/api/supervision/stats": f"?tenant={tenant}",
             "/api/supervision/violations": f"?tenant={tenant}",
             "/api/inspection/lights": f"?tenant={tenant}", "/status": f"?number={number}&code={UNKNOWN_CODE}",
             "/api/applications/{number}/status": f"?code={UNKNOWN_CODE}",
             "/supervision": f"?tenant={tenant}", "/supervision/statistics": f"?tenant={tenant}",
             "/rating": f"?number={number}&code={UNKNOWN_CODE}",
             "/complaints/status": f"?number=GS-XF-2026-999999&code={UNKNOWN_CODE}"}.get(route[1], "")
    bodies: dict[str, Any] = {
        "/api/applications": {}, "/api/complaints": {},  # an empty form: 422 once past the door
        "/items/{code}/apply": {},
        "/api/session": {"username": "gs-clerk", "password": PASSWORD},
        "/staff/sign-in": {"username": "gs-clerk", "password": PASSWORD},
        "/api/ratings": {"application_number": number, "query_code": UNKNOWN_CODE, "level": 5},
        "/api/tasks/{task_id}/decision": {"post": reviewer_post, "decision": "approve"},
        "/staff/tasks/{task_id}/decision": {"post": reviewer_post, "decision": "approve"},
        "/api/cases/{number}/payments": {"fee_code": "no-such-fee", "amount_fen": 1},
        "/api/cases/{number}/urgings": {"target": "case", "note": "matrix"},
        "/api/cases/{number}/delay-reasons": {"post": reviewer_post, "reason": "授权矩阵测试"},
        "/staff/cases/{number}/delay-reason": {"target": "case", "post": reviewer_post, "reason": "授权矩阵测试"},
        "/rating": {"number": number, "code": UNKNOWN_CODE, "level": "5"}, "/complaints": {},
        "/supervision/cases/{number}/urge": {"target": "case", "working_days": "1", "note": "matrix"},
    }
    return path + query, bodies.get(route[1]) if route[0] == "POST" else None


def is_page(route: tuple[str, str]) -> bool:
    return not route[1].startswith("/api/") and route[1] not in {"/healthz", "/metrics", "/openapi.json"}


def call(stack: Stack, route: tuple[str, str], path: str, body: Any, token: dict[str, str]) -> tuple[int, Any]:
    """A JSON route with the bearer token; a page with the session cookie and a form, redirects not followed."""
    if not is_page(route):
        return http(stack, route[0], path, body, headers=token)
    cookie = f"{SESSION_COOKIE}={token['Authorization'].removeprefix('Bearer ')}" if token else None
    status, html, headers = page(stack, route[0], path, body, cookie=cookie)
    if status == 303 and headers.get("Location", "").endswith("/staff/sign-in"):
        return 401, "redirected to the sign-in page"
    return status, html[:200]


def test_the_matrix_names_every_route_the_gateway_serves(stack: Stack) -> None:
    assert set(ROUTES) == set(ALLOWED), "a route without a row in ALLOWED, or a row for no route"
    status, served = http(stack, "GET", "/openapi.json")
    assert status == 200 and served == SPEC
    documented = {(method.upper(), path) for path, operations in SPEC["paths"].items() for method in operations}
    assert documented == {route for route in ROUTES if not is_page(route)}


@pytest.mark.parametrize("user", USERS, ids=[u or "anonymous" for u in USERS])
@pytest.mark.parametrize("route", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_only_what_the_matrix_allows_passes_the_door(
    stack: Stack, cases: dict[str, str], tokens: dict[str | None, dict[str, str]],
    route: tuple[str, str], user: str | None,
) -> None:
    allowed = ALLOWED[route]
    for whose in ("own", "other"):
        path, body = request_for(route, whose, cases)
        status, answer = call(stack, route, path, body, tokens[user])
        if user in (allowed.own if whose == "own" else allowed.other):
            assert status not in (401, 403), f"{user} on {whose} tenant: {status} {answer}"
            assert status < 500, f"{user} on {whose} tenant: {status} {answer}"
        else:
            assert status == (401 if user is None else 403), f"{user} on {whose} tenant: {status} {answer}"
            assert is_page(route) or set(answer) == {"error", "message", "fields"}, answer
