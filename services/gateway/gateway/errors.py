"""Every error mapped once to an HTTP status and one JSON body: {"error", "message", "fields"}."""

from __future__ import annotations

import logging
from typing import Any

from nameko.exceptions import RemoteError, RpcTimeout, UnknownService

from sunlight.errors import Conflict, Forbidden, NotFound, SunlightError, Unavailable, ValidationFailed

log = logging.getLogger(__name__)

STATUS: tuple[tuple[type[SunlightError], int], ...] = (
    (ValidationFailed, 422),  # includes IncompleteApplication: every missing material is in "fields"
    (NotFound, 404),
    (Forbidden, 403),
    (Conflict, 409),
    (Unavailable, 503),  # a service behind the one called did not answer: try again shortly
)


class BadRequest(Exception):
    """The request itself cannot be read (not JSON, not an object)."""


class Unauthorized(Exception):
    """No valid credentials were presented."""


class TooManyAttempts(Exception):
    """Too many failed sign-ins for this user: wait, then try again."""


def flat_fields(fields: Any, prefix: str = "") -> dict[str, list[str]]:
    """Nested marshmallow errors ({"fees": {"0": [...]}}) as the documented shape: {"fees.0": [...]}."""
    if not isinstance(fields, dict):
        return {prefix or "_": [str(reason) for reason in (fields if isinstance(fields, list) else [fields])]}
    flat: dict[str, list[str]] = {}
    for key, value in fields.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(flat_fields(value, name))
        elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
            for reason in value:
                flat.update(flat_fields(reason, name))
        else:
            flat[name] = [str(reason) for reason in (value if isinstance(value, list) else [value])]
    return flat


def error_response(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """The status and body for any error an endpoint meets; unknown ones never leak their text."""
    if isinstance(exc, BadRequest):
        return 400, {"error": "bad_request", "message": str(exc), "fields": {}}
    if isinstance(exc, Unauthorized):
        return 401, {"error": "unauthorized", "message": str(exc) or "sign in first", "fields": {}}
    if isinstance(exc, TooManyAttempts):
        return 429, {"error": "too_many_attempts", "message": str(exc), "fields": {}}
    if isinstance(exc, SunlightError):
        status = next((code for kind, code in STATUS if isinstance(exc, kind)), 500)
        if status == 500:
            log.error("unmapped service error: %r", exc)
        body = exc.to_dict()
        return status, {**body, "fields": flat_fields(body.get("fields") or {})}
    if isinstance(exc, UnknownService | RpcTimeout):
        log.error("a service did not answer: %r", exc)
        return 503, {"error": "unavailable", "message": "a service is not answering; try again shortly", "fields": {}}
    if isinstance(exc, RemoteError):
        log.error("remote error: %s %s", exc.exc_type, exc.value)
    else:
        log.exception("unexpected error", exc_info=exc)
    return 500, {"error": "internal", "message": "internal error; it has been logged", "fields": {}}
