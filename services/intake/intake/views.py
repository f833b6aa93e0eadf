"""How the public catalogue shows an item over RPC: a summary in lists, everything on its own page."""

from __future__ import annotations

from typing import Any

from intake.items import Condition, Item


def item_summary(item: Item) -> dict[str, Any]:
    """One line of the public catalogue."""
    return {
        "code": item.code, "power_code": item.power_code, "name": item.name, "tenant": item.tenant,
        "category": item.category, "kind": item.kind, "risk_level": item.risk_level,
        "promised_days": item.promised_days, "statutory_days": item.statutory_days,
        "materials": [m.name for m in item.materials],
    }


def item_in_full(item: Item) -> dict[str, Any]:
    """Everything an applicant needs before coming: materials, fees, form, limits and legal basis."""
    return {
        **item_summary(item),
        "process": item.process,
        "certificate_kind": item.certificate_kind,
        "active": item.active,
        "legal_basis": [{"code": b.code, "subject": b.subject, "law": b.law, "article": b.article}
                        for b in item.legal_basis],
        "materials": [{"code": m.code, "name": m.name, "mandatory": m.mandatory, "when": _condition(m.when),
                       "max_bytes": m.max_bytes} for m in item.materials],
        "fees": [{**fee.as_due(), "when": _condition(fee.when)} for fee in item.fees],
        "form": [{"name": f.name, "label": f.label, "type": f.type, "required": f.required,
                  "choices": list(f.choices), "minimum": f.minimum} for f in item.form],
    }


def _condition(when: Condition | None) -> dict[str, Any] | None:
    if when is None:
        return None
    return {"field": when.field, "above": when.above} if when.above is not None else {
        "field": when.field, "equals": when.equals}
