"""Registry's rules: official certificate and permit numbers, and issuing on approval."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from registry import domain
from sunlight.calendar import SHANGHAI
from sunlight.contracts import CASE_APPROVED, CERTIFICATE_ISSUED, Event, new_event
from sunlight.errors import ValidationFailed
from sunlight.tenants import tenant

HZ_LAND = tenant("hz-land")
GS_CITY = tenant("gs-city")
APPROVED_AT = datetime(2026, 10, 8, 10, 0, tzinfo=SHANGHAI)
ISSUED_AT = datetime(2026, 10, 8, 10, 0, 3, tzinfo=SHANGHAI)


def approved(case_number: str, **changes: Any) -> dict[str, Any]:
    """workflow's case.approved payload, as registry receives it off the wire."""
    payload = {
        "item_code": "GS-CG-0201",
        "item_name": "户外招牌设置审批",
        "tenant": "gs-city",
        "applicant": {"name": "杭州拱墅区知味观餐饮有限公司", "mobile": "13957112345"},
        "certificate_kind": "permit",
        "decided_at": APPROVED_AT,
        "reason": "同意",
    }
    payload.update(changes)
    event = new_event(CASE_APPROVED, case_number, payload, APPROVED_AT)
    return dict(Event.from_message(event.to_message()).payload)


def test_a_land_title_is_numbered_like_the_official_real_estate_certificate() -> None:
    assert domain.certificate_number("title", HZ_LAND, 2026, 1) == "浙(2026)杭州市不动产权第0000001号"
    assert domain.certificate_number("title", HZ_LAND, 2026, 10403) == "浙(2026)杭州市不动产权第0010403号"
    assert domain.certificate_number("title", HZ_LAND, 2027, 1) == "浙(2027)杭州市不动产权第0000001号"


def test_a_city_management_permit_carries_the_district_prefix() -> None:
    assert domain.certificate_number("permit", GS_CITY, 2026, 1) == "拱城管许字(2026)第000001号"
    assert domain.certificate_number("permit", GS_CITY, 2026, 1436) == "拱城管许字(2026)第001436号"


def test_an_unknown_certificate_kind_is_refused_naming_the_kinds() -> None:
    with pytest.raises(ValidationFailed) as refused:
        domain.certificate_number("licence", GS_CITY, 2026, 1)
    assert "'licence'" in refused.value.message
    assert refused.value.fields == {"kind": ["one of ('title', 'permit')"]}


def test_numbers_run_separately_per_kind_tenant_and_year() -> None:
    names = {domain.sequence_name(kind, office, year)
             for kind in ("title", "permit") for office in ("hz-land", "gs-city") for year in (2026, 2027)}
    assert len(names) == 8


def test_issuing_an_approved_shop_sign_builds_the_permit_for_the_applicant() -> None:
    number = domain.certificate_number("permit", GS_CITY, 2026, 1)
    certificate, _ = domain.issue(approved("GS-2026-000001"), case_number="GS-2026-000001", number=number,
                                  verification_code="9F3A61C2", now=ISSUED_AT)
    assert certificate == domain.Certificate(
        number="拱城管许字(2026)第000001号",
        case_number="GS-2026-000001",
        kind="permit",
        tenant="gs-city",
        item_name="户外招牌设置审批",
        holder_name="杭州拱墅区知味观餐饮有限公司",
        holder_mobile="13957112345",
        issued_at=ISSUED_AT,
        verification_code="9F3A61C2",
    )


def test_issuing_announces_certificate_issued_with_what_notify_needs_for_the_completion_sms() -> None:
    payload = approved("HZ-2026-000001", item_code="HZ-DJ-0101", item_name="国有建设用地使用权首次登记",
                       tenant="hz-land", certificate_kind="title",
                       applicant={"name": "王小明", "mobile": "13800571234"})
    number = domain.certificate_number("title", HZ_LAND, 2026, 1)
    _, event = domain.issue(payload, case_number="HZ-2026-000001", number=number,
                            verification_code="0B7D44E1", now=ISSUED_AT)
    received = Event.from_message(event.to_message())
    assert received.event_type == CERTIFICATE_ISSUED
    assert received.source == "registry"
    assert received.case_number == "HZ-2026-000001"
    assert received.occurred_at == ISSUED_AT
    assert received.payload == {
        "certificate_number": "浙(2026)杭州市不动产权第0000001号",
        "kind": "title",
        "item_name": "国有建设用地使用权首次登记",
        "tenant": "hz-land",
        "holder": {"name": "王小明", "mobile": "13800571234"},
        "issued_at": ISSUED_AT,
    }


def test_the_verification_code_stays_out_of_the_public_event() -> None:
    _, event = domain.issue(approved("GS-2026-000002"), case_number="GS-2026-000002",
                            number="拱城管许字(2026)第000002号", verification_code="9F3A61C2", now=ISSUED_AT)
    assert "9F3A61C2" not in str(event.to_message())



def test_permits_are_numbered_in_their_own_series_each_from_one() -> None:
    assert domain.certificate_number("permit", GS_CITY, 2026, 1, "招牌") == "拱城管(招牌)许字(2026)第000001号"
    assert domain.certificate_number("permit", GS_CITY, 2026, 12, "渣土") == "拱城管(渣土)许字(2026)第000012号"
    names = {domain.sequence_name("permit", "gs-city", 2026, series) for series in ("招牌", "渣土", "")}
    assert len(names) == 3  # a shop-sign permit never takes a muck-disposal number
