"""Registry's typed errors: all cross RPC, so they live in ``sunlight.errors``."""

from sunlight.errors import Conflict, NotFound, ValidationFailed

__all__ = ["Conflict", "NotFound", "ValidationFailed"]
