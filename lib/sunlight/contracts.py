"""The event envelope and how a message becomes an Event and back; event names are in ``events``.

Every event is named in the past tense and carries an ``event_id``, the case number, the time it
happened and a schema version. A consumer validates the envelope and the payload of every event it
receives; a malformed event is a permanent failure and goes to the dead-letter queue.

Every public name of ``sunlight.events`` (event names, publishers) and ``sunlight.payloads`` (payload
schemas) is re-exported here by star import, so ``from sunlight.contracts import X`` works for all of
them; neither module keeps an ``__all__``, so a new event or schema needs no second list to update.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from sunlight.errors import ValidationFailed
from sunlight.events import *  # noqa: F403  (re-export: event names and publishers)
from sunlight.events import PAYLOAD_SCHEMAS, PUBLISHERS
from sunlight.payloads import *  # noqa: F403  (re-export: payload schemas)

SCHEMA_VERSION = 1
#: the most tasks one page of a post's inbox holds: workflow's ``list_tasks`` refuses more, and the gateway
#: refuses more before it asks
INBOX_PAGE_MAX = 500


class Envelope(Schema):
    """Built after ``sunlight.events`` registered every payload schema: it lists the known types.

    Tolerant, as the payloads are (``sunlight.payloads._Payload``): a field a newer publisher added is left out.
    """

    class Meta:
        unknown = EXCLUDE

    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True, validate=validate.OneOf(sorted(PAYLOAD_SCHEMAS)))
    schema_version = fields.Integer(required=True, validate=validate.Equal(SCHEMA_VERSION))
    occurred_at = fields.AwareDateTime(required=True)
    source = fields.String(required=True)
    case_number = fields.String(required=True, allow_none=True)
    payload = fields.Dict(required=True)


def new_event_id() -> str:
    """A random (version 4) UUID as text, as ``str(uuid.uuid4())`` gives it, at a third of the cost.

    Every decision of the engine announces two events on average; building the ``UUID`` object only to
    print it was a tenth of a transition's time.
    """
    digits = os.urandom(16).hex()
    variant = "89ab"[int(digits[16], 16) & 3]  # RFC 4122: the top two bits of the clock sequence are 10
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"


@dataclass(frozen=True)
class Event:
    """One fact that happened, as every service sees it."""

    event_type: str
    case_number: str | None
    payload: Mapping[str, Any]
    occurred_at: datetime
    source: str = ""
    event_id: str = field(default_factory=new_event_id)
    schema_version: int = SCHEMA_VERSION

    def to_message(self) -> dict[str, Any]:
        """The JSON-ready body published on the broker (payload validated and serialized)."""
        schema = payload_schema(self.event_type)
        payload = schema.dump(self.payload)  # leaves out what the schema does not declare: refused below
        errors = {**schema.validate(payload), **undeclared_fields(schema, self.payload)}
        if errors:
            raise ValidationFailed(f"event {self.event_type} has a bad payload", errors)
        return {
            "event_id": self.event_id,
            "event_type": self.event_type,
            "schema_version": self.schema_version,
            "occurred_at": self.occurred_at.astimezone(UTC).isoformat(),
            "source": self.source,
            "case_number": self.case_number,
            "payload": payload,
        }

    @classmethod
    def from_message(cls, body: Any) -> Event:
        """Validate a received body; raise ValidationFailed naming every bad field."""
        if not isinstance(body, Mapping):
            raise ValidationFailed("event body is not an object", {"_schema": ["not an object"]})
        try:
            envelope = _ENVELOPE.load(body)
            payload = payload_schema(envelope["event_type"]).load(envelope["payload"])
        except ValidationError as exc:
            raise ValidationFailed("malformed event", _as_fields(exc.messages)) from exc
        return cls(
            event_type=envelope["event_type"],
            case_number=envelope["case_number"],
            payload=payload,
            occurred_at=envelope["occurred_at"],
            source=envelope["source"],
            event_id=str(envelope["event_id"]),
            schema_version=envelope["schema_version"],
        )


def undeclared_fields(schema: Schema, data: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of ``data`` that ``schema`` does not declare (those of a nested object under its field)."""
    declared = {field.data_key or name: field for name, field in schema.fields.items()}
    found: dict[str, Any] = {}
    for key, value in data.items():
        field = declared.get(key)
        if field is None:
            found[str(key)] = ["Unknown field."]
        elif isinstance(field, fields.Nested) and isinstance(field.schema, Schema) and isinstance(value, Mapping):
            inner = undeclared_fields(field.schema, value)
            if inner:
                found[str(key)] = inner
    return found


_ENVELOPE = Envelope()
_PAYLOADS: dict[str, Schema] = {}


def payload_schema(event_type: str) -> Schema:
    """One schema instance per event type, made once: building a marshmallow schema copies all its fields."""
    schema = _PAYLOADS.get(event_type)
    if schema is None:
        schema = _PAYLOADS[event_type] = PAYLOAD_SCHEMAS[event_type]()
    return schema


def new_event(
    event_type: str, case_number: str | None, payload: Mapping[str, Any], now: datetime
) -> Event:
    """Build an event the domain decided on; the publishing service fills in ``source``."""
    if event_type not in PAYLOAD_SCHEMAS:
        raise ValueError(f"unknown event type {event_type!r}")
    return Event(
        event_type=event_type,
        case_number=case_number,
        payload=dict(payload),
        occurred_at=now,
        source=PUBLISHERS[event_type],
    )


def _as_fields(messages: Any) -> dict[str, Any]:
    if isinstance(messages, dict):
        return {str(key): value for key, value in messages.items()}
    return {"_schema": messages}


def load_or_fail(schema: Schema, data: Any, what: str) -> Any:
    """Load ``data`` with ``schema``; raise ValidationFailed listing every field and reason."""
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ValidationFailed(f"invalid {what}", _as_fields(exc.messages)) from exc


def mask_mobile(mobile: str) -> str:
    """138****0000: what logs, public views and metrics may show of a phone number."""
    if len(mobile) < 7:
        return "*" * len(mobile)
    return f"{mobile[:3]}****{mobile[-4:]}"

