"""/openapi.json, generated from the routes and the marshmallow schemas (apispec)."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.web.handlers import HttpRequestHandler

from gateway import schemas


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # werkzeug syntax: /api/items/<code>
    summary: str
    response: type | None = None
    many: bool = False
    status: int = 200
    request: type | None = None
    query: dict[str, str] = field(default_factory=dict)
    errors: tuple[int, ...] = (422, 503)
    secured: bool = False  # needs a bearer token
    query_schema: type | None = None  # optional query parameters, validated by this schema
    also_csv: bool = False  # the same answer as text/csv on request
    content_type: str = "application/json"


WRITE_ERRORS = (400, 401, 403, 404, 409, 422, 503)

ROUTES: tuple[Route, ...] = (
    Route("GET", "/api/items", "The public catalogue of approval items", schemas.ItemSchema, many=True,
          errors=(503,)),
    Route("GET", "/api/items/<code>", "One item with its materials and limits", schemas.ItemSchema,
          errors=(404, 503)),
    Route("POST", "/api/applications", "Apply once: a receipt, or every missing material at once",
          schemas.ReceiptSchema, status=201, request=schemas.ApplicationRequestSchema, errors=(400, 404, 422, 503)),
    Route("GET", "/api/applications/<number>/status", "Public status by application number and query code",
          schemas.StatusSchema, query={"code": "the query code printed on the receipt"}, errors=(404, 422, 503)),
    Route("GET", "/api/tasks", "A post's inbox, nearest deadline first", schemas.TaskSchema, many=True,
          query_schema=schemas.InboxQuerySchema, errors=(401, 403, 422, 503), secured=True),
    Route("POST", "/api/tasks/<task_id>/decision", "Complete a task with a decision and an opinion",
          schemas.DecisionResultSchema, request=schemas.DecisionSchema,
          errors=(400, 401, 403, 404, 409, 422, 503), secured=True),
    Route("POST", "/api/session", "Sign in: a bearer token for staff endpoints (failed sign-ins are rate limited)",
          schemas.SessionSchema, status=201, request=schemas.SignInSchema, errors=(400, 401, 422, 429)),
    Route("GET", "/api/cases/<number>", "A case with its tasks and opinions, for staff of its tenant",
          schemas.CaseSchema, errors=(401, 403, 404, 503), secured=True),
    Route("GET", "/api/certificates/<number>", "Public verification of a certificate or permit",
          schemas.CertificateSchema, errors=(404, 503)),
    Route("POST", "/api/ratings", "每事一卡: rate a completed case once, with the receipt's query code",
          schemas.RatingSchema, status=201, request=schemas.RatingRequestSchema,
          errors=(400, 403, 404, 409, 422, 503)),
    Route("POST", "/api/cases/<number>/payments", "The window records a listed fee as paid (a clerk of the case's "
          "tenant); the permit is issued once the case is approved and every fee paid", schemas.PaymentSchema,
          status=201, request=schemas.PaymentRequestSchema, errors=WRITE_ERRORS, secured=True),
    Route("GET", "/api/supervision/lights", "The supervision board: the strongest light on each case and stage, red "
          "first, of the own tenant (inspectors: any)", schemas.LightSchema, many=True,
          query_schema=schemas.LightsQuerySchema, errors=(401, 403, 422, 503), secured=True),
    Route("GET", "/api/supervision/stats", "Handling time per stage, on-time rate, lights, ratings and grades per "
          "post, department, item and tenant; CSV with format=csv or Accept: text/csv", schemas.StatisticsRowSchema,
          many=True, query_schema=schemas.StatisticsQuerySchema, also_csv=True, errors=(401, 403, 422, 503),
          secured=True),
    Route("GET", "/api/supervision/violations", "Violations found in the own tenant's cases (inspectors: any), with "
          "their evidence; one withdrawn after a late record disproved it is marked withdrawn, never published",
          schemas.ViolationSchema, many=True, query_schema=schemas.ViolationsQuerySchema,
          errors=(401, 403, 422, 503), secured=True),
    Route("POST", "/api/cases/<number>/urgings", "督办: the tenant's supervisor orders an overdue case or stage "
          "finished by a new deadline", schemas.UrgingSchema, status=201, request=schemas.UrgeRequestSchema,
          errors=WRITE_ERRORS, secured=True),
    Route("POST", "/api/cases/<number>/delay-reasons", "延期说明: a holder of the post answerable for an overdue case "
          "or stage says why, once", schemas.DelayReasonSchema, status=201, request=schemas.DelayReasonRequestSchema,
          errors=WRITE_ERRORS, secured=True),
    Route("POST", "/api/complaints", "信访 online: a complaint number and a query code to follow it",
          schemas.ComplaintReceiptSchema, status=201, request=schemas.ComplaintRequestSchema,
          errors=(400, 403, 422, 503)),
    Route("GET", "/api/complaints/<number>", "A complaint's progress and answer with its query code; personal data "
          "masked", schemas.ComplaintStatusSchema, query={"code": "the query code given when it was filed"},
          errors=(404, 422, 503)),
    Route("GET", "/api/inspection/cases", "纪检监察: every case of every tenant with its lights and violations",
          schemas.InspectedCaseSchema, many=True, errors=(401, 403, 503), secured=True),
    Route("GET", "/api/inspection/cases/<number>/trail", "纪检监察: a case's whole audit trail, every event's body",
          schemas.AuditRecordSchema, many=True, errors=(401, 403, 404, 503), secured=True),
    Route("GET", "/api/inspection/lights", "纪检监察: the lights of every tenant", schemas.LightSchema, many=True,
          query_schema=schemas.LightsQuerySchema, errors=(401, 403, 422, 503), secured=True),
    Route("GET", "/api/inspection/violations", "纪检监察: every violation with the audit records that prove it",
          schemas.ViolationSchema, many=True, errors=(401, 403, 503), secured=True),
    Route("GET", "/api/inspection/statistics", "纪检监察: statistics across every tenant, all time",
          schemas.StatisticsRowSchema, many=True, errors=(401, 403, 503), secured=True),
    Route("GET", "/api/inspection/chain", "纪检监察: the audit log's hash chain recomputed; the first broken record",
          schemas.ChainVerificationSchema, errors=(401, 403, 503), secured=True),
    Route("GET", "/openapi.json", "This document", None, errors=()),
    Route("GET", "/healthz", "Liveness of the gateway process", None, errors=()),
    Route("GET", "/metrics", "Prometheus figures (also on the metrics port)", None, errors=(),
          content_type="text/plain"),
)


def http_routes(service_cls: type) -> set[tuple[str, str]]:
    """Every (method, OpenAPI-style path) a service class answers, base classes included, as nameko collects them."""
    routes = set()
    for _name, function in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(function, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, HttpRequestHandler):
                routes.add((entrypoint.method, openapi_path(entrypoint.url)))
    return routes


def openapi_path(path: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)


def build_spec() -> dict[str, Any]:
    spec = APISpec(title="Sunlight 阳光审批 API", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()])
    spec.components.schema("Error", schema=schemas.ErrorSchema)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for route in ROUTES:
        operation: dict[str, Any] = {"summary": route.summary, "responses": {}}
        parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                      for name in re.findall(r"<(?:\w+:)?(\w+)>", route.path)]
        parameters += [{"name": name, "in": "query", "required": True, "description": text,
                        "schema": {"type": "string"}} for name, text in route.query.items()]
        if route.method == "POST" and route.path == "/api/applications":
            parameters.append({"name": "Idempotency-Key", "in": "header", "required": False,
                               "description": "the same key returns the first result, never a second application",
                               "schema": {"type": "string", "minLength": 8, "maxLength": 128}})
        if route.query_schema is not None:
            parameters.append({"in": "query", "schema": route.query_schema})
        if parameters:
            operation["parameters"] = parameters
        if route.secured:
            operation["security"] = [{"bearer": []}]
        if route.request is not None:
            operation["requestBody"] = {"required": True,
                                        "content": {"application/json": {"schema": route.request}}}
        if route.response is not None:
            body: Any = {"type": "array", "items": route.response} if route.many else route.response
            content: dict[str, Any] = {"application/json": {"schema": body}}
            if route.also_csv:
                content["text/csv"] = {"schema": {"type": "string"}}
            operation["responses"][str(route.status)] = {"description": "OK", "content": content}
        else:
            operation["responses"][str(route.status)] = {
                "description": "OK", "content": {route.content_type: {"schema": {
                    "type": "object"} if route.content_type == "application/json" else {"type": "string"}}}}
        for status in route.errors:
            operation["responses"][str(status)] = {
                "description": "error", "content": {"application/json": {"schema": "Error"}}}
        spec.path(path=openapi_path(route.path), operations={route.method.lower(): operation})
    return spec.to_dict()
