"""The catalogue of powers (职权目录): the shipped file loads; a bad file is refused with every error."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.catalogue import CATALOGUE, find_item, load_catalogue
from intake.errors import CatalogueInvalid
from sunlight.errors import NotFound, UnknownItem

SHOP_SIGN = """
  - code: GS-CG-0201
    name: 户外招牌设置审批
    tenant: gs-city
    category: 市容管理
    kind: licence
    risk_level: 1
    legal_basis: 《浙江省城市市容和环境卫生管理条例》第十九条
    process: handle-approve
    certificate_kind: permit
    statutory_days: 20
    promised_days: 5
    materials:
      - {code: application-form, name: 户外招牌设置申请表, mandatory: true}
      - {code: business-licence, name: 营业执照, mandatory: true}
"""

MUCK_DISPOSAL = """
  - code: GS-CG-0301
    name: 城市建筑垃圾处置核准
    tenant: gs-city
    category: 渣土管理
    kind: licence
    risk_level: 2
    legal_basis: 《城市建筑垃圾管理规定》第七条
    process: handle-approve
    certificate_kind: permit
    statutory_days: 20
    promised_days: 5
    materials:
      - {code: application-form, name: 建筑垃圾处置核准申请表, mandatory: true}
"""


def write(tmp_path: Path, items: str, header: str = "version: 1\nitems:") -> Path:
    path = tmp_path / "items.yml"
    path.write_text(f"{header}\n{items}", encoding="utf-8")
    return path


def refusal(path: Path) -> CatalogueInvalid:
    with pytest.raises(CatalogueInvalid) as refused:
        load_catalogue(path)
    return refused.value


def test_the_shipped_catalogue_offers_land_registration_and_the_shop_sign_licence() -> None:
    items = load_catalogue()
    assert set(items) == {"HZ-DJ-0101", "GS-CG-0201"}
    land = items["HZ-DJ-0101"]
    assert (land.tenant, land.certificate_kind, land.statutory_days, land.promised_days) == ("hz-land", "title", 30, 1)
    assert [m.code for m in land.materials] == [
        "application-form", "identity", "grant-contract", "premium-receipt", "parcel-map"]
    shop_sign = items["GS-CG-0201"]
    assert (shop_sign.tenant, shop_sign.certificate_kind, shop_sign.promised_days) == ("gs-city", "permit", 5)
    assert {m.code: m.mandatory for m in shop_sign.materials} == {
        "application-form": True, "business-licence": True, "design-drawing": True, "owner-consent": False}
    assert all(item.active and item.process == "handle-approve" for item in items.values())


def test_the_default_path_is_the_file_shipped_with_the_service() -> None:
    shipped = Path(__file__).resolve().parents[1] / "catalogue" / "items.yml"
    assert shipped == CATALOGUE
    assert CATALOGUE.is_file()


def test_a_valid_catalogue_written_elsewhere_loads_every_item(tmp_path: Path) -> None:
    items = load_catalogue(write(tmp_path, SHOP_SIGN + MUCK_DISPOSAL))
    assert list(items) == ["GS-CG-0201", "GS-CG-0301"]
    assert items["GS-CG-0301"].name == "城市建筑垃圾处置核准"


def test_a_bad_catalogue_lists_every_error_by_item_code_and_field(tmp_path: Path) -> None:
    bad_shop_sign = (SHOP_SIGN.replace("risk_level: 1", "risk_level: 5")
                     .replace("certificate_kind: permit", "certificate_kind: licence")
                     .replace("{code: business-licence, name: 营业执照, mandatory: true}",
                              "{code: business-licence, name: 营业执照}"))
    bad_muck = MUCK_DISPOSAL.replace("kind: licence", "kind: permission").replace("    statutory_days: 20\n", "")
    refused = refusal(write(tmp_path, bad_shop_sign + bad_muck))
    assert refused.fields == {
        "GS-CG-0201": {
            "risk_level": ["Must be greater than or equal to 1 and less than or equal to 3."],
            "certificate_kind": ["Must be one of: title, permit."],
            "materials": {1: {"mandatory": ["Missing data for required field."]}},
        },
        "GS-CG-0301": {
            "kind": ["Must be one of: licence, non-licence, registration, penalty."],
            "statutory_days": ["Missing data for required field."],
        },
    }
    assert refused.message == "catalogue items.yml is invalid"


def test_an_item_without_a_code_is_named_by_its_position(tmp_path: Path) -> None:
    refused = refusal(write(tmp_path, SHOP_SIGN + "  - {name: 绿化迁移审批}\n"))
    assert list(refused.fields) == ["#1"]
    assert refused.fields["#1"]["code"] == ["Missing data for required field."]
    assert refused.fields["#1"]["legal_basis"] == ["Missing data for required field."]


def test_an_unknown_key_in_an_item_is_refused_and_named(tmp_path: Path) -> None:
    refused = refusal(write(tmp_path, SHOP_SIGN.replace("risk_level: 1", "risk_level: 1\n    fee: 0")))
    assert refused.fields == {"GS-CG-0201": {"fee": ["Unknown field."]}}


def test_two_items_with_one_code_are_refused(tmp_path: Path) -> None:
    refused = refusal(write(tmp_path, SHOP_SIGN + SHOP_SIGN))
    assert refused.fields == {"GS-CG-0201": {"code": ["duplicate item code"]}}


def test_two_bad_items_with_one_code_keep_both_sets_of_errors(tmp_path: Path) -> None:
    first = SHOP_SIGN.replace("risk_level: 1", "risk_level: 9")
    second = SHOP_SIGN.replace("promised_days: 5", "promised_days: -1")
    refused = refusal(write(tmp_path, first + second))
    assert set(refused.fields["GS-CG-0201"]) == {"risk_level", "promised_days"}


def test_an_item_of_an_unknown_tenant_is_refused_when_the_catalogue_loads(tmp_path: Path) -> None:
    refused = refusal(write(tmp_path, SHOP_SIGN.replace("tenant: gs-city", "tenant: gongshu")))
    assert refused.fields == {"GS-CG-0201": {"tenant": ["unknown tenant; one of gs-city, hz-land"]}}


def test_a_promise_longer_than_the_statutory_limit_is_refused(tmp_path: Path) -> None:
    refused = refusal(write(tmp_path, SHOP_SIGN.replace("promised_days: 5", "promised_days: 25")))
    assert refused.fields == {
        "GS-CG-0201": {"promised_days": ["25 working days promised, more than the statutory 20"]}}


def test_a_long_promise_is_reported_together_with_the_item_s_other_errors(tmp_path: Path) -> None:
    bad = SHOP_SIGN.replace("promised_days: 5", "promised_days: 25").replace("risk_level: 1", "risk_level: 4")
    refused = refusal(write(tmp_path, bad))
    assert set(refused.fields["GS-CG-0201"]) == {"promised_days", "risk_level"}


def test_a_material_listed_twice_in_one_item_is_refused(tmp_path: Path) -> None:
    twice = SHOP_SIGN + "      - {code: business-licence, name: 营业执照副本, mandatory: false}\n"
    refused = refusal(write(tmp_path, twice))
    assert refused.fields == {"GS-CG-0201": {"materials": ["duplicate material codes: business-licence"]}}


def test_a_catalogue_without_a_version_or_with_a_stray_key_is_refused(tmp_path: Path) -> None:
    refused = refusal(write(tmp_path, SHOP_SIGN, header="owner: 拱墅区城市管理局\nitems:"))
    assert refused.fields == {"version": ["Missing data for required field."], "owner": ["Unknown field."]}


def test_find_item_names_the_unknown_code_as_a_typed_not_found() -> None:
    items = load_catalogue()
    assert find_item(items, "GS-CG-0201").name == "户外招牌设置审批"
    with pytest.raises(UnknownItem) as unknown:
        find_item(items, "GS-CG-9999")
    assert isinstance(unknown.value, NotFound)
    assert unknown.value.fields == {"item_code": ["unknown item"]}
    assert "GS-CG-9999" in unknown.value.message
    assert unknown.value.to_dict()["error"] == "unknown_item"
