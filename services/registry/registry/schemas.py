"""What crosses registry's wire: certificates, with personal data masked for the public."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, post_dump

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


class PublicCertificateSchema(CertificateSchema):
    """What anyone verifying a number may see: the holder's name and phone masked."""

    @post_dump
    def mask(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        name = data.get("holder_name") or ""
        data["holder_name"] = (name[:1] + "*" * (len(name) - 1)) if name else ""
        data["holder_mobile"] = mask_mobile(data.get("holder_mobile") or "")
        return data
