"""What crosses registry's wire: certificates, with personal data masked for the public."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, post_dump, validate

from registry.domain import RIGHT_TYPES, mask_name
from sunlight.contracts import mask_mobile


class CertificateSchema(Schema):
    number = fields.String()
    case_number = fields.String()
    kind = fields.String()
    tenant = fields.String()
    item_name = fields.String()
    holder_name = fields.String()
    holder_mobile = fields.String()
    issued_at = fields.AwareDateTime()
    project_code = fields.String(allow_none=True)
    parcel_code = fields.String(allow_none=True)
    status = fields.String()


class PublicCertificateSchema(CertificateSchema):
    """What anyone verifying a number may see: the holder's name and phone masked."""

    @post_dump
    def mask(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["holder_name"] = mask_name(data.get("holder_name") or "")
        data["holder_mobile"] = mask_mobile(data.get("holder_mobile") or "")
        return data


class IssuedQuerySchema(Schema):
    """Which issued certificates the public results page lists: one tenant or all, the newest ``limit``."""

    class Meta:
        unknown = RAISE

    tenant = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=32))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


# --- issue 6: fees, payments, parcels, mortgages, verification --------------------------------------


class FeeDueSchema(Schema):
    """One entry of ``application.accepted``'s ``fees_due``."""

    class Meta:
        unknown = RAISE

    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    amount_fen = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    basis = fields.String(load_default="")


class ParcelSchema(Schema):
    """A parcel (宗地) as the application form describes it: location as text, GeoJSON optional."""

    class Meta:
        unknown = RAISE

    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    location = fields.String(required=True, validate=validate.Length(min=1, max=500))
    geometry = fields.Dict(load_default=None, allow_none=True)
    area_m2 = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))
    land_use = fields.String(required=True, validate=validate.Length(min=1, max=64))
    right_type = fields.String(required=True, validate=validate.OneOf(RIGHT_TYPES))
    term_years = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=70))


class PaymentInSchema(Schema):
    """What the window records when the applicant pays a fee."""

    class Meta:
        unknown = RAISE

    case_number = fields.String(required=True, validate=validate.Length(min=1, max=32))
    fee_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    amount_fen = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))
    clerk = fields.String(required=True, validate=validate.Length(min=1, max=64))


class MortgageInSchema(Schema):
    """A mortgage to register on a title."""

    class Meta:
        unknown = RAISE

    title_number = fields.String(required=True, validate=validate.Length(min=1, max=64))
    mortgagee = fields.String(required=True, validate=validate.Length(min=1, max=200))
    amount_fen = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class PaymentSchema(Schema):
    id = fields.Integer()
    fee_code = fields.String()
    amount_fen = fields.Integer()
    clerk = fields.String()
    paid_at = fields.AwareDateTime()
    refunded_at = fields.AwareDateTime(allow_none=True)
    refund_reason = fields.String()


class ParcelOutSchema(Schema):
    code = fields.String()
    location = fields.String()
    geometry = fields.Dict(allow_none=True)
    area_m2 = fields.Float()
    land_use = fields.String()
    right_type = fields.String()
    term_years = fields.Integer(allow_none=True)
    owner_name = fields.String()
    title_number = fields.String(allow_none=True)


class PublicParcelSchema(ParcelOutSchema):
    """A parcel as the public sees it: the owner's name masked."""

    @post_dump
    def mask(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["owner_name"] = mask_name(data.get("owner_name") or "")
        return data


class RightChangeSchema(Schema):
    change = fields.String()
    right_type = fields.String()
    owner_name = fields.String()
    document_number = fields.String()
    case_number = fields.String(allow_none=True)
    changed_at = fields.AwareDateTime()


class MortgageSchema(Schema):
    number = fields.String()
    title_number = fields.String()
    rank = fields.Integer()
    mortgagee = fields.String()
    amount_fen = fields.Integer()
    registered_at = fields.AwareDateTime()
    released_at = fields.AwareDateTime(allow_none=True)
