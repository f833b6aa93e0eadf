"""What crosses intake's wire: the catalogue file, a submission, and the receipt."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, post_load, validate, validates_schema
from marshmallow import ValidationError as SchemaError

from intake.domain import REFUSAL_REASONS, Submission
from intake.items import APPLICANT_KIND, FIELD_TYPES, Condition, FormField, LegalBasis, Material

CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", error="letters, digits, . _ - only")
SHA256 = validate.Regexp(r"^[0-9a-f]{64}$", error="a sha256 hex digest of the file")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class ConditionSchema(_Strict):
    field = fields.String(required=True, validate=validate.Length(min=1, max=64))
    equals = fields.Raw(load_default=None)
    above = fields.Float(load_default=None)

    @validates_schema
    def one_test(self, data: dict[str, Any], **_: Any) -> None:
        if (data.get("equals") is None) == (data.get("above") is None):
            raise SchemaError("give exactly one of equals, above")

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Condition:
        return Condition(**data)


class MaterialSchema(_Strict):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    mandatory = fields.Boolean(required=True)
    when = fields.Nested(ConditionSchema, load_default=None)
    max_mb = fields.Integer(load_default=20, validate=validate.Range(1, 500))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Material:
        max_mb = data.pop("max_mb")
        return Material(**data, max_bytes=max_mb * 1024 * 1024)


class FeeSchema(_Strict):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    amount_fen = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10**10))
    basis = fields.String(required=True, validate=CODE)  # a code of the legal-basis catalogue
    when = fields.Nested(ConditionSchema, load_default=None)


class FormFieldSchema(_Strict):
    name = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,63}$"))
    label = fields.String(required=True, validate=validate.Length(min=1, max=100))
    type = fields.String(required=True, validate=validate.OneOf(FIELD_TYPES))
    required = fields.Boolean(required=True)
    choices = fields.List(fields.String(), load_default=list)
    minimum = fields.Float(load_default=None)

    @validates_schema
    def choices_for_choice(self, data: dict[str, Any], **_: Any) -> None:
        if (data.get("type") == "choice") != bool(data.get("choices")):
            raise SchemaError({"choices": ["a choice field lists its choices; no other field has any"]})

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> FormField:
        return FormField(**{**data, "choices": tuple(data["choices"])})


class ItemSchema(_Strict):
    """One item as written in items.yml; legal bases stay codes until ``catalogue.py`` resolves them."""

    code = fields.String(required=True, validate=CODE)
    power_code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    tenant = fields.String(required=True)
    category = fields.String(required=True, validate=validate.Length(min=1, max=50))
    kind = fields.String(
        required=True, validate=validate.OneOf(["licence", "non-licence", "registration", "penalty"])
    )
    risk_level = fields.Integer(required=True, validate=validate.Range(1, 3))
    legal_basis = fields.List(fields.String(validate=CODE), required=True, validate=validate.Length(min=1))
    process = fields.String(required=True, validate=CODE)
    certificate_kind = fields.String(required=True, validate=validate.OneOf(["title", "permit"]))
    #: the series a permit is numbered in (招牌, 广告, 渣土 ...): 拱城管(招牌)许字(2026)第000001号
    permit_series = fields.String(load_default="", validate=validate.Length(max=8))
    statutory_days = fields.Integer(required=True, validate=validate.Range(1, 365))
    promised_days = fields.Integer(required=True, validate=validate.Range(0, 365))
    active = fields.Boolean(load_default=True)
    materials = fields.List(fields.Nested(MaterialSchema), required=True)
    fees = fields.List(fields.Nested(FeeSchema), load_default=list)
    form = fields.List(fields.Nested(FormFieldSchema), load_default=list)

    @validates_schema(skip_on_field_errors=False)  # listed alongside every other error of the item
    def limits_and_materials(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        promised, statutory = data.get("promised_days"), data.get("statutory_days")
        if promised is not None and statutory is not None and promised > statutory:
            errors["promised_days"] = [f"{promised} working days promised, more than the statutory {statutory}"]
        if data.get("permit_series") and data.get("certificate_kind") == "title":
            errors["permit_series"] = ["only permits are numbered in a series; titles follow the national pattern"]
        materials = [m for m in data.get("materials") or [] if isinstance(m, Material)]
        fees = [f for f in data.get("fees") or [] if isinstance(f, dict)]
        form = [f for f in data.get("form") or [] if isinstance(f, FormField)]
        for name, codes in (("materials", [m.code for m in materials]), ("fees", [f["code"] for f in fees]),
                            ("form", [f.name for f in form])):
            duplicates = sorted({code for code in codes if codes.count(code) > 1})
            if duplicates:
                errors[name] = [f"duplicate codes: {', '.join(duplicates)}"]
        known = {f.name for f in form} | {APPLICANT_KIND}
        conditions = [("materials", m.code, m.when) for m in materials] + [
            ("fees", f["code"], f.get("when")) for f in fees]
        for name, code, when in conditions:
            if when is not None and when.field not in known:
                errors.setdefault(name, []).append(f"{code}: condition on {when.field!r}, not a form field")
        if errors:
            raise SchemaError(errors)


class LegalBasisSchema(_Strict):
    code = fields.String(required=True, validate=CODE)
    subject = fields.String(required=True, validate=validate.Length(min=1, max=50))
    law = fields.String(required=True, validate=validate.Length(min=1, max=200))
    article = fields.String(required=True, validate=validate.Length(min=1, max=50))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> LegalBasis:
        return LegalBasis(**data)


class LegalBasesSchema(_Strict):
    version = fields.Integer(required=True)
    bases = fields.List(fields.Nested(LegalBasisSchema), required=True)


class CatalogueSchema(_Strict):
    version = fields.Integer(required=True)
    items = fields.List(fields.Raw(), required=True)


class ApplicantSchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=validate.OneOf(["person", "company"]))
    id_number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    mobile = fields.String(required=True, validate=validate.Length(min=1, max=20))


class MaterialFileSchema(_Strict):
    sha256 = fields.String(required=True, validate=SHA256)
    size_bytes = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class MaterialFile(fields.Field):  # type: ignore[type-arg]
    """A material as received: its sha256, or ``{sha256, size_bytes}`` when the window knows the size."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, Any]:
        if isinstance(value, str):
            return {"sha256": _SHA256_TEXT.deserialize(value), "size_bytes": None}
        if isinstance(value, dict):
            loaded: dict[str, Any] = _MATERIAL_FILE.load(value)
            return loaded
        raise SchemaError("a sha256 hex digest of the file, or {sha256, size_bytes}")


# made once, not per material: making a field or a schema costs more than loading a value with it
_SHA256_TEXT = fields.String(validate=SHA256)
_MATERIAL_FILE = MaterialFileSchema()


MATERIAL_CODES = fields.String(validate=CODE)


class SubmissionSchema(_Strict):
    item_code = fields.String(required=True, validate=CODE)
    applicant = fields.Nested(ApplicantSchema, required=True)
    materials = fields.Dict(
        keys=MATERIAL_CODES, values=MaterialFile(), load_default=dict, validate=validate.Length(max=50)
    )
    form = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=64)), load_default=dict)
    channel = fields.String(load_default="online", validate=validate.OneOf(["online", "counter"]))
    clerk_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    tenant = fields.String(load_default=None, validate=validate.Length(min=1, max=32))
    fees = fields.List(fields.String(validate=CODE), load_default=None, validate=validate.Length(max=20))
    idempotency_key = fields.String(load_default=None, validate=validate.Length(min=8, max=128))

    @validates_schema
    def counter_names_the_clerk(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("channel") == "counter" and not data.get("clerk_id"):
            raise SchemaError({"clerk_id": ["a counter submission names the clerk who takes it"]})

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        applicant = data["applicant"]
        materials = data["materials"]
        submission = Submission(
            item_code=data["item_code"],
            applicant_name=applicant["name"],
            applicant_kind=applicant["kind"],
            id_number=applicant["id_number"].upper(),
            mobile=applicant["mobile"],
            materials={code: file["sha256"] for code, file in materials.items()},
            channel=data["channel"],
            form=data["form"],
            material_sizes={code: f["size_bytes"] for code, f in materials.items() if f["size_bytes"] is not None},
            clerk_id=data["clerk_id"],
            tenant=data["tenant"],
            fees_claimed=None if data["fees"] is None else tuple(data["fees"]),
        )
        return {"submission": submission, "idempotency_key": data["idempotency_key"]}


class RefusalSchema(_Strict):
    """A clerk refuses an application at the window: the application, a listed reason and its explanation."""

    application = fields.Raw(required=True)
    reason_code = fields.String(required=True, validate=validate.OneOf(list(REFUSAL_REASONS)))
    reason_text = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    clerk_id = fields.String(required=True, validate=validate.Length(min=1, max=64))


class CorrectionSchema(_Strict):
    """Materials re-submitted (补正) against an application number."""

    application_number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    materials = fields.Dict(keys=MATERIAL_CODES, values=MaterialFile(), required=True,
                            validate=validate.Length(min=1, max=50))
    clerk_id = fields.String(load_default=None, validate=validate.Length(min=1, max=64))
    tenant = fields.String(load_default=None, validate=validate.Length(min=1, max=32))


class FeeDueSchema(Schema):
    code = fields.String()
    name = fields.String()
    amount_fen = fields.Integer()
    basis = fields.String()


class ReceiptSchema(Schema):
    application_number = fields.String()
    query_code = fields.String()
    item_code = fields.String()
    item_name = fields.String()
    tenant = fields.String()
    accepted_at = fields.AwareDateTime()
    promised_date = fields.Date()
    materials_received = fields.List(fields.String())
    fees_due = fields.List(fields.Nested(FeeDueSchema))
    channel = fields.String()
    clerk_id = fields.String(allow_none=True)
