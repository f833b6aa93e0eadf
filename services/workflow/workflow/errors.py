"""Workflow's typed errors: all cross RPC, so they live in ``sunlight.errors``."""

from sunlight.errors import Conflict, Forbidden, NotFound, ValidationFailed

__all__ = ["Conflict", "Forbidden", "NotFound", "ValidationFailed"]
