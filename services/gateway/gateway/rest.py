"""The JSON plumbing every API route shares: read a body or a query parameter, answer JSON, map errors once."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from marshmallow import Schema
from werkzeug.wrappers import Request, Response

from gateway.errors import BadRequest, error_response
from sunlight.contracts import load_or_fail
from sunlight.errors import ValidationFailed


def respond(status: int, body: Any) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, default=str), status=status,
                    mimetype="application/json")


def endpoint(handler: Callable[..., tuple[int, Any]]) -> Callable[..., Response]:
    """Every endpoint answers JSON; every error goes through the one mapping in gateway.errors."""

    def wrapped(self: Any, request: Request, **path: str) -> Response:
        try:
            status, body = handler(self, request, **path)
        except Exception as exc:  # noqa: BLE001 - mapped, logged, never leaked
            status, body = error_response(exc)
        if isinstance(body, Response):  # a route that answers something other than JSON (CSV, metrics)
            body.status_code = status
            return body
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


def query(request: Request, schema: Schema, what: str) -> dict[str, Any]:
    """Query parameters validated like a body: unknown ones refused, each bad one named with its reason."""
    return dict(load_or_fail(schema, request.args.to_dict(), what))
