"""/openapi.json, generated from the routes and the marshmallow schemas (apispec)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

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
          query={"post": "tenant/department/role"}, errors=(401, 403, 422, 503), secured=True),
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
          schemas.RatingSchema, status=201, request=schemas.RatingRequestSchema, errors=(400, 404, 409, 422, 503)),
)


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
        if parameters:
            operation["parameters"] = parameters
        if route.secured:
            operation["security"] = [{"bearer": []}]
        if route.request is not None:
            operation["requestBody"] = {"required": True,
                                        "content": {"application/json": {"schema": route.request}}}
        if route.response is not None:
            body: Any = {"type": "array", "items": route.response} if route.many else route.response
            operation["responses"][str(route.status)] = {
                "description": "OK", "content": {"application/json": {"schema": body}}}
        for status in route.errors:
            operation["responses"][str(status)] = {
                "description": "error", "content": {"application/json": {"schema": "Error"}}}
        spec.path(path=openapi_path(route.path), operations={route.method.lower(): operation})
    return spec.to_dict()
