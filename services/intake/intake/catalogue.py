"""Load and validate the catalogue of powers from its YAML file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from marshmallow import ValidationError
from marshmallow.error_store import merge_errors

from intake.domain import Item
from intake.errors import CatalogueInvalid, UnknownItem
from intake.schemas import CatalogueSchema, ItemSchema
from sunlight.tenants import all_tenants

CATALOGUE = Path(__file__).resolve().parent.parent / "catalogue" / "items.yml"


def load_catalogue(path: Path = CATALOGUE) -> dict[str, Item]:
    """Every item by code; a bad file raises with every error by item code and field."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        document = CatalogueSchema().load(raw)
    except ValidationError as exc:
        raise CatalogueInvalid(f"catalogue {path.name} is invalid", exc.messages_dict) from exc
    items: dict[str, Item] = {}
    errors: dict[str, Any] = {}
    for index, entry in enumerate(document["items"]):
        label = str(entry.get("code", f"#{index}")) if isinstance(entry, dict) else f"#{index}"
        try:
            item = ItemSchema().load(entry)
        except ValidationError as exc:
            # merge, so a second entry with the same code does not hide the first one's errors
            errors[label] = merge_errors(errors.get(label), exc.messages)
            continue
        problems: dict[str, list[str]] = {}
        if item.code in items:
            problems["code"] = ["duplicate item code"]
        if item.tenant not in all_tenants():
            problems["tenant"] = [f"unknown tenant; one of {', '.join(sorted(all_tenants()))}"]
        if problems:
            errors[item.code] = merge_errors(errors.get(item.code), problems)
        items[item.code] = item
    if errors:
        raise CatalogueInvalid(f"catalogue {path.name} is invalid", errors)
    return items


def find_item(catalogue: dict[str, Item], code: str) -> Item:
    """One item; UnknownItem names the code."""
    try:
        return catalogue[code]
    except KeyError:
        raise UnknownItem(f"no item {code!r} in the catalogue", {"item_code": ["unknown item"]}) from None
