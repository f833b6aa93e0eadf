"""Load and validate the catalogue of powers and its legal-basis catalogue from their YAML files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from marshmallow import ValidationError
from marshmallow.error_store import merge_errors

from intake.errors import CatalogueInvalid, UnknownItem
from intake.items import Fee, Item, LegalBasis
from intake.schemas import CatalogueSchema, ItemSchema, LegalBasesSchema
from sunlight.tenants import all_tenants

HERE = Path(__file__).resolve().parent.parent / "catalogue"
CATALOGUE = HERE / "items.yml"
LEGAL_BASES = HERE / "legal-bases.yml"


def load_legal_bases(path: Path = LEGAL_BASES) -> dict[str, LegalBasis]:
    """Every law and article by code; a bad file raises with every error."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        document = LegalBasesSchema().load(raw)
    except ValidationError as exc:
        raise CatalogueInvalid(f"legal-basis catalogue {path.name} is invalid", exc.messages_dict) from exc
    codes = [basis.code for basis in document["bases"]]
    duplicates = sorted({code for code in codes if codes.count(code) > 1})
    if duplicates:
        raise CatalogueInvalid(f"legal-basis catalogue {path.name} is invalid",
                               {code: {"code": ["duplicate legal-basis code"]} for code in duplicates})
    return {basis.code: basis for basis in document["bases"]}


def load_catalogue(path: Path = CATALOGUE, legal_bases: Path = LEGAL_BASES) -> dict[str, Item]:
    """Every item by code; a bad file raises with every error by item code and field."""
    bases = load_legal_bases(legal_bases)
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
            data = ItemSchema().load(entry)
        except ValidationError as exc:
            # merge, so a second entry with the same code does not hide the first one's errors
            errors[label] = merge_errors(errors.get(label), exc.messages)
            continue
        problems = _reference_problems(data, bases)
        if data["code"] in items:
            problems["code"] = ["duplicate item code"]
        if data["tenant"] not in all_tenants():
            problems["tenant"] = [f"unknown tenant; one of {', '.join(sorted(all_tenants()))}"]
        if problems:
            errors[data["code"]] = merge_errors(errors.get(data["code"]), problems)
            continue
        items[data["code"]] = _item(data, bases)
    if errors:
        raise CatalogueInvalid(f"catalogue {path.name} is invalid", errors)
    return items


def _reference_problems(data: dict[str, Any], bases: dict[str, LegalBasis]) -> dict[str, Any]:
    problems: dict[str, Any] = {}
    unknown = [code for code in data["legal_basis"] if code not in bases]
    if unknown:
        problems["legal_basis"] = [f"not in the legal-basis catalogue: {', '.join(unknown)}"]
    for index, fee in enumerate(data["fees"]):
        if fee["basis"] not in bases:
            problems.setdefault("fees", {})[index] = {"basis": [f"not in the legal-basis catalogue: {fee['basis']}"]}
    return problems


def _item(data: dict[str, Any], bases: dict[str, LegalBasis]) -> Item:
    fees = tuple(Fee(**{**fee, "basis": bases[fee["basis"]]}) for fee in data["fees"])
    return Item(**{**data, "legal_basis": tuple(bases[c] for c in data["legal_basis"]), "fees": fees,
                   "materials": tuple(data["materials"]), "form": tuple(data["form"])})


def find_item(catalogue: dict[str, Item], code: str) -> Item:
    """One item; UnknownItem names the code."""
    try:
        return catalogue[code]
    except KeyError:
        raise UnknownItem(f"no item {code!r} in the catalogue", {"item_code": ["unknown item"]}) from None
