"""The catalogue of powers as values: items, their materials, fees, form fields and legal bases.

Pure Python (no I/O): ``catalogue.py`` reads the YAML files and builds these; ``domain.py`` applies them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: a mainland vehicle plate: province, issuing letter, 5 (6 for new-energy) characters; I and O are never used
PLATE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][A-HJ-NP-Z0-9]{5,6}"
)
FIELD_TYPES = ("text", "integer", "number", "boolean", "choice", "plates", "parcel")
RIGHT_TYPES = ("allocated", "granted", "leased")  # 划拨 / 出让 / 租赁
APPLICANT_KIND = "applicant.kind"
MAX_TEXT = 500


@dataclass(frozen=True)
class LegalBasis:
    """One entry of the legal-basis catalogue (法律依据): a law and its article."""

    code: str
    subject: str
    law: str
    article: str

    @property
    def citation(self) -> str:
        return f"{self.law}{self.article}"


@dataclass(frozen=True)
class Condition:
    """When a material or fee applies: a form field (or ``applicant.kind``) equals a value or is above a number."""

    field: str
    equals: Any = None
    above: float | None = None

    def holds(self, form: Mapping[str, Any], applicant_kind: str) -> bool:
        value: Any = applicant_kind if self.field == APPLICANT_KIND else form.get(self.field)
        if self.above is not None:
            return _is_number(value) and float(value) > self.above
        return bool(value == self.equals)


@dataclass(frozen=True)
class Material:
    code: str
    name: str
    mandatory: bool
    when: Condition | None = None
    max_bytes: int = 20 * 1024 * 1024

    def required(self, form: Mapping[str, Any], applicant_kind: str) -> bool:
        """Mandatory, and its condition (if any) holds for this application."""
        return self.mandatory and (self.when is None or self.when.holds(form, applicant_kind))


@dataclass(frozen=True)
class Fee:
    """A fee the item may charge; nothing that is not listed may be charged."""

    code: str
    name: str
    amount_fen: int
    basis: LegalBasis
    when: Condition | None = None

    def due(self, form: Mapping[str, Any], applicant_kind: str) -> bool:
        return self.when is None or self.when.holds(form, applicant_kind)

    def as_due(self) -> dict[str, Any]:
        """The shape ``application.accepted`` carries in ``fees_due``."""
        return {"code": self.code, "name": self.name, "amount_fen": self.amount_fen, "basis": self.basis.citation}


@dataclass(frozen=True)
class FormField:
    """A field of the item's form the applicant fills in."""

    name: str
    label: str
    type: str
    required: bool
    choices: tuple[str, ...] = ()
    minimum: float | None = None

    def problem_with(self, value: Any) -> str | None:
        """Why ``value`` is not acceptable for this field, or None."""
        if self.type == "text":
            ok = isinstance(value, str) and 0 < len(value.strip()) <= MAX_TEXT
            return None if ok else f"text of 1 to {MAX_TEXT} characters"
        if self.type == "boolean":
            return None if isinstance(value, bool) else "true or false"
        if self.type == "choice":
            return None if value in self.choices else f"one of {', '.join(self.choices)}"
        if self.type == "plates":
            return _plates_problem(value)
        if self.type == "parcel":
            return _parcel_problem(value)
        if self.type == "integer" and not (isinstance(value, int) and not isinstance(value, bool)):
            return "a whole number"
        if not _is_number(value):
            return "a number"
        if self.minimum is not None and float(value) < self.minimum:
            return f"at least {self.minimum:g}"
        return None


@dataclass(frozen=True)
class Item:
    """One approval item of the catalogue of powers."""

    code: str
    power_code: str
    name: str
    tenant: str
    category: str
    kind: str
    risk_level: int
    legal_basis: tuple[LegalBasis, ...]
    process: str
    certificate_kind: str
    statutory_days: int
    promised_days: int
    materials: tuple[Material, ...]
    fees: tuple[Fee, ...] = ()
    form: tuple[FormField, ...] = ()
    active: bool = True
    permit_series: str = ""

    def material(self, code: str) -> Material | None:
        return next((m for m in self.materials if m.code == code), None)

    def matches(self, keyword: str) -> bool:
        """Whether a public search for ``keyword`` should find this item."""
        needle = keyword.strip().lower()
        haystack = [self.code, self.power_code, self.name, self.category]
        haystack += [b.citation for b in self.legal_basis] + [m.name for m in self.materials]
        return any(needle in text.lower() for text in haystack)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _parcel_problem(value: Any) -> str | None:
    """A parcel (宗地) as registry records it; every missing or wrong part named at once."""
    if not isinstance(value, dict):
        return "a parcel: code, location, area_m2, land_use, right_type (term_years, geometry optional)"
    problems = [f"{key} missing" for key in ("code", "location", "land_use") if not str(value.get(key) or "").strip()]
    if not (_is_number(value.get("area_m2")) and float(value["area_m2"]) > 0):
        problems.append("area_m2 must be a positive number of square metres")
    if value.get("right_type") not in RIGHT_TYPES:
        problems.append(f"right_type must be one of {', '.join(RIGHT_TYPES)}")
    term = value.get("term_years")
    if term is not None and not (isinstance(term, int) and not isinstance(term, bool) and 1 <= term <= 70):
        problems.append("term_years must be a whole number from 1 to 70")
    unknown = sorted(set(value) - {"code", "location", "geometry", "area_m2", "land_use", "right_type", "term_years"})
    if unknown:
        problems.append(f"unknown parts: {', '.join(unknown)}")
    return "; ".join(problems) or None


def _plates_problem(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return "a list of one or more vehicle plates"
    bad = [str(plate) for plate in value if not (isinstance(plate, str) and PLATE.fullmatch(plate))]
    if bad:
        return f"not a vehicle plate: {', '.join(bad)}"
    if len(set(value)) != len(value):
        return "a plate is listed twice"
    return None
