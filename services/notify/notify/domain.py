"""Notify's rules: templates checked at load, rendering with the tenant's signature.

Pure Python: no provider, no database. A template may name only the fields it declares; a
message is one per (event, recipient, template), which the database enforces.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass

from sunlight.errors import ValidationFailed


@dataclass(frozen=True)
class Template:
    key: str
    audience: str
    fields: frozenset[str]
    text: str


@dataclass(frozen=True)
class Rendered:
    template: str
    recipient: str
    text: str


def parse_templates(raw: Mapping[str, Mapping[str, object]]) -> dict[str, Template]:
    """Check every template: each ``{field}`` it names must be one it declares."""
    templates: dict[str, Template] = {}
    errors: dict[str, list[str]] = {}
    for key, spec in raw.items():
        declared = frozenset(str(f) for f in spec.get("fields", []))  # type: ignore[attr-defined]
        text = str(spec.get("text", ""))
        try:
            named = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:  # an unbalanced { or }: would fail on every send
            errors[key] = [f"not a valid template: {exc}"]
            named = set()
        if "" in named:  # {} is positional: render fills named fields only
            errors.setdefault(key, []).append("an empty placeholder {} names no field")
        unknown = sorted(named - declared - {""})
        if unknown:
            errors.setdefault(key, []).append(f"names undeclared field(s): {', '.join(unknown)}")
        if not text.strip():
            errors.setdefault(key, []).append("empty text")
        templates[key] = Template(key, str(spec.get("audience", "applicant")), declared, text)
    if errors:
        raise ValidationFailed("SMS templates are invalid", errors)
    return templates


def render(template: Template, values: Mapping[str, str], *, signature: str, recipient: str) -> Rendered:
    """The text of one SMS, signed by the tenant, e.g. ``【杭州市国土资源局】``."""
    missing = sorted(template.fields - set(values))
    if missing:
        raise ValidationFailed(f"template {template.key} lacks values", {f: ["missing"] for f in missing})
    body = template.text.format(**{key: values[key] for key in template.fields})
    if not body.strip():
        raise ValidationFailed(f"template {template.key} rendered empty", {"text": ["empty"]})
    return Rendered(template=template.key, recipient=recipient, text=f"{signature}{body}")
