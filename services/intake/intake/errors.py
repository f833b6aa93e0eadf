"""Intake's typed errors. Those that cross RPC live in ``sunlight.errors`` so callers get them back."""

from sunlight.errors import IncompleteApplication, UnknownItem, ValidationFailed


class CatalogueInvalid(ValidationFailed):
    """The catalogue file is refused at load, with every error by item code and field."""

    code = "catalogue_invalid"


__all__ = ["CatalogueInvalid", "IncompleteApplication", "UnknownItem"]
