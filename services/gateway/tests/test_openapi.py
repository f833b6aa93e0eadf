"""/openapi.json documents every JSON route the gateway serves, mixins included, so schemathesis cannot miss
a new route (the authorization matrix in tests/integration/test_gateway_access.py reads the same entrypoints)."""

from __future__ import annotations

import inspect

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.web.handlers import HttpRequestHandler

from gateway.limits import LimitedHttp
from gateway.openapi import ROUTES, build_spec, http_routes, openapi_path
from gateway.service import GatewayService


def served() -> set[tuple[str, str]]:
    return http_routes(GatewayService)


def test_every_json_route_is_in_the_document_and_nothing_else() -> None:
    documented = {(route.method, openapi_path(route.path)) for route in ROUTES}
    api = {route for route in served() if route[1].startswith("/api/") or route[1] in
           {"/healthz", "/metrics", "/openapi.json"}}
    assert api == documented


def test_the_routes_mixed_in_from_other_modules_are_served() -> None:
    assert {("POST", "/api/cases/{number}/payments"), ("GET", "/api/supervision/lights"),
            ("GET", "/api/inspection/chain"), ("GET", "/metrics")} <= served()


def test_the_statistics_can_be_had_as_csv_and_query_filters_are_optional() -> None:
    stats = build_spec()["paths"]["/api/supervision/stats"]["get"]
    assert set(stats["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert {p["name"]: p["required"] for p in stats["parameters"]} == {
        "tenant": False, "quarter": False, "from": False, "to": False, "format": False}


def test_every_route_is_served_within_the_body_size_and_client_time_limits() -> None:
    """One plain nameko @http in a mixin would start a second, unlimited web server on the same port."""
    plain = [name for name, function in inspect.getmembers(GatewayService, inspect.isfunction)
             for entrypoint in getattr(function, ENTRYPOINT_EXTENSIONS_ATTR, ())
             if isinstance(entrypoint, HttpRequestHandler) and not isinstance(entrypoint, LimitedHttp)]
    assert plain == []
