"""Supervision's typed errors: all cross RPC, so they live in ``sunlight.errors``."""

from sunlight.errors import NotFound, ValidationFailed

__all__ = ["NotFound", "ValidationFailed"]
