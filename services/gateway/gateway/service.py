"""Gateway's entrypoints: read the request, call the service that decides, write JSON. No rules here."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import eventlet
from marshmallow import Schema
from nameko import config
from nameko.constants import NON_PERSISTENT
from nameko.exceptions import RpcTimeout
from nameko.rpc import ClusterRpc
from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from gateway import schemas
from gateway.errors import BadRequest, error_response
from gateway.models import metadata
from gateway.openapi import build_spec
from gateway.settings import MIGRATIONS
from sunlight import base
from sunlight.contracts import load_or_fail
from sunlight.db import Database
from sunlight.errors import NotFound, ValidationFailed

log = logging.getLogger(__name__)
SPEC = build_spec()


def respond(status: int, body: Any) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, default=str), status=status,
                    mimetype="application/json")


def endpoint(handler: Callable[..., tuple[int, Any]]) -> Callable[..., Response]:
    """Every endpoint answers JSON; every error goes through the one mapping in gateway.errors."""

    def wrapped(self: GatewayService, request: Request, **path: str) -> Response:
        try:
            status, body = handler(self, request, **path)
        except Exception as exc:  # noqa: BLE001 - mapped, logged, never leaked
            status, body = error_response(exc)
        return respond(status, body)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


def json_body(request: Request, schema: Schema, what: str) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return dict(load_or_fail(schema, body, what))


def required_query(request: Request, name: str) -> str:
    value = request.args.get(name, "").strip()
    if not value:
        raise ValidationFailed(f"query parameter {name!r} is required", {name: ["required"]})
    return value


class GatewayService(base.ServiceBase):
    """The HTTP API of the public portal, the staff inbox and integrators."""

    name = "gateway"
    db = Database(metadata, MIGRATIONS)
    rpc = ClusterRpc(delivery_mode=NON_PERSISTENT)  # a request nobody answers is retried by its caller

    def call(self, service: str, method: str, *args: Any) -> Any:
        """One RPC with a deadline: a service that hangs must not hang the browser too."""
        reply = getattr(getattr(self.rpc, service), method).call_async(*args)
        with eventlet.Timeout(float(config.get("RPC_TIMEOUT", 30)), RpcTimeout(f"{service}.{method}")):
            return reply.result()

    @http("GET", "/openapi.json")  # type: ignore[untyped-decorator]
    def openapi(self, request: Request) -> Response:
        return respond(200, SPEC)

    @http("GET", "/healthz")  # type: ignore[untyped-decorator]
    def healthz(self, request: Request) -> Response:
        return respond(200, {"status": "ok"})

    @http("GET", "/api/items")  # type: ignore[untyped-decorator]
    @endpoint
    def list_items(self, request: Request) -> tuple[int, Any]:
        return 200, self.call("intake", "list_items")

    @http("GET", "/api/items/<code>")  # type: ignore[untyped-decorator]
    @endpoint
    def get_item(self, request: Request, code: str) -> tuple[int, Any]:
        for item in self.call("intake", "list_items"):
            if item["code"] == code:
                return 200, item
        raise NotFound(f"no item {code!r}", {"code": ["not in the catalogue"]})

    @http("POST", "/api/applications")  # type: ignore[untyped-decorator]
    @endpoint
    def submit_application(self, request: Request) -> tuple[int, Any]:
        body = json_body(request, schemas.ApplicationRequestSchema(), "application")
        key = request.headers.get("Idempotency-Key")
        if key:
            body["idempotency_key"] = key
        return 201, self.call("intake", "submit_application", body)

    @http("GET", "/api/applications/<number>/status")  # type: ignore[untyped-decorator]
    @endpoint
    def application_status(self, request: Request, number: str) -> tuple[int, Any]:
        code = required_query(request, "code")
        receipt = self.call("intake", "get_application", number)
        if receipt["query_code"] != code:  # same answer as an unknown number: reveals nothing
            raise NotFound(f"no application {number!r} with that query code", {"code": ["does not match"]})
        case = self.call("workflow", "get_case", number)
        stage = next((t["stage"] for t in case["tasks"] if t["status"] == "open"), None)
        certificate = None
        if case["status"] == "approved":
            try:
                certificate = self.call("registry", "certificate_for_case", number)["number"]
            except NotFound:
                certificate = None
        return 200, {"application_number": number, "item_name": receipt["item_name"],
                     "received_at": receipt["accepted_at"], "promised_date": receipt["promised_date"],
                     "status": case["status"], "current_stage": stage, "certificate_number": certificate}

    @http("GET", "/api/tasks")  # type: ignore[untyped-decorator]
    @endpoint
    def list_tasks(self, request: Request) -> tuple[int, Any]:
        return 200, self.call("workflow", "list_tasks", required_query(request, "post"))

    @http("POST", "/api/tasks/<task_id>/decision")  # type: ignore[untyped-decorator]
    @endpoint
    def decide(self, request: Request, task_id: str) -> tuple[int, Any]:
        body = json_body(request, schemas.DecisionSchema(), "decision")
        return 200, self.call("workflow", "complete_task", {**body, "task_id": task_id})

    @http("GET", "/api/certificates/<number>")  # type: ignore[untyped-decorator]
    @endpoint
    def verify_certificate(self, request: Request, number: str) -> tuple[int, Any]:
        return 200, self.call("registry", "get_certificate", number)

    @http("POST", "/api/ratings")  # type: ignore[untyped-decorator]
    @endpoint
    def rate(self, request: Request) -> tuple[int, Any]:
        return 201, self.call("supervision", "rate_case", json_body(request, schemas.RatingRequestSchema(), "rating"))
