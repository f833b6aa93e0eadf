"""A certificate as staff see it, and as anyone verifying its number sees it (personal data masked)."""

from __future__ import annotations

from datetime import datetime

from registry.domain import Certificate
from registry.schemas import CertificateSchema, PublicCertificateSchema
from sunlight.calendar import SHANGHAI

TITLE = Certificate(
    number="浙(2026)杭州市不动产权第0000001号",
    case_number="HZ-2026-000001",
    kind="title",
    tenant="hz-land",
    item_name="国有建设用地使用权首次登记",
    holder_name="王小明",
    holder_mobile="13800571234",
    issued_at=datetime(2026, 10, 8, 10, 0, 3, tzinfo=SHANGHAI),
    verification_code="0B7D44E1",
)


def test_the_public_sees_the_number_and_item_with_the_holder_masked() -> None:
    assert PublicCertificateSchema().dump(TITLE) == {
        "number": "浙(2026)杭州市不动产权第0000001号",
        "case_number": "HZ-2026-000001",
        "kind": "title",
        "tenant": "hz-land",
        "item_name": "国有建设用地使用权首次登记",
        "holder_name": "王**",
        "holder_mobile": "138****1234",
        "issued_at": "2026-10-08T10:00:03+08:00",
    }


def test_a_company_holder_keeps_only_its_first_character_in_public() -> None:
    from dataclasses import replace

    permit = replace(TITLE, holder_name="杭州拱墅区知味观餐饮有限公司", holder_mobile="13957112345")
    public = PublicCertificateSchema().dump(permit)
    assert public["holder_name"] == "杭" + "*" * 13
    assert public["holder_mobile"] == "139****2345"


def test_staff_see_the_holder_unmasked_and_nobody_sees_the_verification_code() -> None:
    staff = CertificateSchema().dump(TITLE)
    assert (staff["holder_name"], staff["holder_mobile"]) == ("王小明", "13800571234")
    assert "verification_code" not in staff
    assert "verification_code" not in PublicCertificateSchema().dump(TITLE)
