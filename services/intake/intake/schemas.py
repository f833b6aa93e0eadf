"""What crosses intake's wire: the catalogue file, a submission, and the receipt."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, post_load, validate, validates_schema
from marshmallow import ValidationError as SchemaError

from intake.domain import Item, Material, Submission

CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", error="letters, digits, . _ - only")
SHA256 = validate.Regexp(r"^[0-9a-f]{64}$", error="a sha256 hex digest of the file")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class MaterialSchema(_Strict):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    mandatory = fields.Boolean(required=True)


class ItemSchema(_Strict):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    tenant = fields.String(required=True)
    category = fields.String(required=True)
    kind = fields.String(
        required=True, validate=validate.OneOf(["licence", "non-licence", "registration", "penalty"])
    )
    risk_level = fields.Integer(required=True, validate=validate.Range(1, 3))
    legal_basis = fields.String(required=True, validate=validate.Length(min=1))
    process = fields.String(required=True, validate=CODE)
    certificate_kind = fields.String(required=True, validate=validate.OneOf(["title", "permit"]))
    statutory_days = fields.Integer(required=True, validate=validate.Range(1, 365))
    promised_days = fields.Integer(required=True, validate=validate.Range(0, 365))
    active = fields.Boolean(load_default=True)
    materials = fields.List(fields.Nested(MaterialSchema), required=True)

    @validates_schema(skip_on_field_errors=False)  # listed alongside every other error of the item
    def limits_and_materials(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        promised, statutory = data.get("promised_days"), data.get("statutory_days")
        if promised is not None and statutory is not None and promised > statutory:
            errors["promised_days"] = [f"{promised} working days promised, more than the statutory {statutory}"]
        codes = [m["code"] for m in data.get("materials") or [] if isinstance(m, dict) and "code" in m]
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            errors["materials"] = [f"duplicate material codes: {', '.join(duplicates)}"]
        if errors:
            raise SchemaError(errors)

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> Item:
        data["materials"] = tuple(Material(**m) for m in data["materials"])
        return Item(**data)


class CatalogueSchema(_Strict):
    version = fields.Integer(required=True)
    items = fields.List(fields.Raw(), required=True)


class ApplicantSchema(_Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    kind = fields.String(required=True, validate=validate.OneOf(["person", "company"]))
    id_number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    mobile = fields.String(required=True, validate=validate.Length(min=1, max=20))


class SubmissionSchema(_Strict):
    item_code = fields.String(required=True, validate=CODE)
    applicant = fields.Nested(ApplicantSchema, required=True)
    materials = fields.Dict(
        keys=fields.String(validate=CODE), values=fields.String(validate=SHA256), load_default=dict
    )
    form = fields.Dict(load_default=dict)
    channel = fields.String(load_default="online", validate=validate.OneOf(["online", "counter"]))
    idempotency_key = fields.String(load_default=None, validate=validate.Length(min=8, max=128))

    @post_load
    def make(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        applicant = data["applicant"]
        submission = Submission(
            item_code=data["item_code"],
            applicant_name=applicant["name"],
            applicant_kind=applicant["kind"],
            id_number=applicant["id_number"].upper(),
            mobile=applicant["mobile"],
            materials=data["materials"],
            channel=data["channel"],
            form=data["form"],
        )
        return {"submission": submission, "idempotency_key": data["idempotency_key"]}


class ReceiptSchema(Schema):
    application_number = fields.String()
    query_code = fields.String()
    item_code = fields.String()
    item_name = fields.String()
    tenant = fields.String()
    accepted_at = fields.AwareDateTime()
    promised_date = fields.Date()
    materials_received = fields.List(fields.String())
