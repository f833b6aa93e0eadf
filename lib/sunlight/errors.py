"""Typed errors shared by every service.

Each error travels over RPC as a nameko remote error whose ``exc_type`` is the class name, and each
carries a machine-readable ``code`` so the gateway can map it once to an HTTP status.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class SunlightError(Exception):
    """Base of every error Sunlight raises on purpose."""

    code = "error"

    def __init__(self, message: str, fields: Mapping[str, Any] | None = None) -> None:
        # both go into ``args`` so nameko's remote-error serialization carries them to the caller
        super().__init__(message, dict(fields or {}))
        self.message = message
        self.fields: dict[str, Any] = dict(fields or {})

    def __str__(self) -> str:
        if not self.fields:
            return self.message
        return f"{self.message} {self.fields}"

    def to_dict(self) -> dict[str, Any]:
        """The error as the JSON body a client sees."""
        return {"error": self.code, "message": self.message, "fields": self.fields}


class ValidationFailed(SunlightError):
    """Input broke its schema: ``fields`` maps each field to its reasons."""

    code = "validation_failed"


class IncompleteApplication(ValidationFailed):
    """The one-time notice (一次性告知): every missing or invalid material and field at once."""

    code = "incomplete_application"


class NotFound(SunlightError):
    """The thing asked for does not exist (or is not visible to the caller)."""

    code = "not_found"


class UnknownItem(NotFound):
    """No such item in the catalogue of powers."""

    code = "unknown_item"


class NotGenuine(NotFound):
    """A certificate number and verification code that do not match anything issued (forged)."""

    code = "not_genuine"


class Forbidden(SunlightError):
    """The caller's post may not do this (a task of another post, a tenant not theirs)."""

    code = "forbidden"


class Conflict(SunlightError):
    """The request contradicts the current state (a task completed twice, a closed case)."""

    code = "conflict"


class CalendarUnknownYear(SunlightError):
    """The working-day calendar has no schedule for a year: never guess, say how to load it."""

    code = "calendar_unknown_year"


class PermanentFailure(SunlightError):
    """A message that can never succeed (malformed event): goes straight to the dead-letter queue."""

    code = "permanent_failure"


class Unavailable(SunlightError):
    """A service this one needs did not answer in time: nothing was done; try again shortly."""

    code = "unavailable"


def register_remote_errors() -> None:
    """Let RPC callers receive these classes back instead of a bare RemoteError."""
    from nameko.exceptions import deserialize_to_instance

    pending: list[type[SunlightError]] = [SunlightError]
    while pending:
        cls = pending.pop()
        deserialize_to_instance(cls)
        pending.extend(cls.__subclasses__())


register_remote_errors()
