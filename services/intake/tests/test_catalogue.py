"""The catalogue of powers (职权目录): the shipped file loads; a bad file is refused with every error."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.catalogue import CATALOGUE, find_item, load_catalogue
from intake.errors import CatalogueInvalid
from sunlight.errors import NotFound, UnknownItem

SHOP_SIGN = """
  - code: GS-CG-0201
    power_code: 330105-XK-001
    name: 户外招牌设置审批
    tenant: gs-city
    category: 市容管理
    kind: licence
    risk_level: 1
    legal_basis: [ZJ-CITY-19]
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
    power_code: 330105-XK-003
    name: 城市建筑垃圾处置核准
    tenant: gs-city
    category: 渣土管理
    kind: licence
    risk_level: 2
    legal_basis: [MUCK-7]
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


SHIPPED = {
    "HZ-DJ-0101": ("hz-land", "fast-track-registration", 20, 1),  # large parcel: statutory 20 (seed 000), on the spot
    "HZ-DJ-0102": ("hz-land", "fast-track-registration", 30, 0),  # single house, on the spot
    "HZ-DJ-0201": ("hz-land", "fast-track-registration", 10, 1),  # mortgage: 10 working days by law
    "HZ-YD-0301": ("hz-land", "construction-land-approval", 20, 15),
    "YZ-GY-0101": ("yz-land", "land-supply-approval", 45, 30),
    "GS-CG-0201": ("gs-city", "shop-sign-approval", 20, 5),  # four departments in parallel (seed 002)
    "GS-CG-0202": ("gs-city", "shop-sign-approval", 20, 5),
    "GS-CG-0301": ("gs-city", "muck-disposal-permit", 20, 5),
    "GS-CG-0401": ("gs-city", "city-works-approval", 20, 5),
    "GS-CG-0501": ("gs-city", "city-works-approval", 20, 5),
    "JX-YD-0101": ("jx-land", "site-selection-pre-review", 20, 12),
}


def test_the_shipped_catalogue_holds_every_seed_item_on_its_agreed_process() -> None:
    items = load_catalogue()
    assert {code: (i.tenant, i.process, i.statutory_days, i.promised_days) for code, i in items.items()} == SHIPPED
    land = items["HZ-DJ-0101"]
    assert [m.code for m in land.materials] == [
        "application-form", "identity", "grant-contract", "premium-receipt", "parcel-map"]
    assert [b.citation for b in land.legal_basis] == [
        "《不动产登记暂行条例》第十四条", "《不动产登记暂行条例》第二十条"]
    assert [(f.code, f.amount_fen) for f in land.fees] == [("registration-fee", 55000)]
    shop_sign = items["GS-CG-0201"]
    assert {m.code: m.mandatory for m in shop_sign.materials} == {
        "application-form": True, "business-licence": True, "design-drawing": True, "owner-consent": False}
    assert shop_sign.fees == ()
    assert [f.type for f in items["GS-CG-0301"].form if f.name == "truck_plates"] == ["plates"]
    assert all(item.active and item.power_code for item in items.values())


def test_a_legal_basis_the_catalogue_does_not_list_is_refused_with_the_item(tmp_path: Path) -> None:
    fee = "    fees:\n      - {code: sign-fee, name: 招牌费, amount_fen: 1000, basis: NO-SUCH-LAW}\n"
    bad = SHOP_SIGN.replace("legal_basis: [ZJ-CITY-19]", "legal_basis: [ZJ-CITY-19, ZJ-CITY-99]") + fee
    refused = refusal(write(tmp_path, bad))
    assert refused.fields == {"GS-CG-0201": {
        "legal_basis": ["not in the legal-basis catalogue: ZJ-CITY-99"],
        "fees": {0: {"basis": ["not in the legal-basis catalogue: NO-SUCH-LAW"]}},
    }}


def test_a_condition_on_a_field_the_form_lacks_and_a_fee_in_yuan_are_refused(tmp_path: Path) -> None:
    consent = ("      - {code: owner-consent, name: 房屋所有权人同意书, mandatory: true,"
               " when: {field: area_m2, above: 10}}\n")
    bad = SHOP_SIGN + consent + (
        "    fees:\n      - {code: sign-fee, name: 招牌费, amount_fen: 10.5, basis: ZJ-CITY-19}\n")
    refused = refusal(write(tmp_path, bad))
    assert refused.fields == {"GS-CG-0201": {
        "materials": ["owner-consent: condition on 'area_m2', not a form field"],
        "fees": {0: {"amount_fen": ["Not a valid integer."]}},
    }}


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
    assert refused.fields == {"GS-CG-0201": {"tenant": ["unknown tenant; one of gs-city, hz-land, jx-land, yz-land"]}}


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
    assert refused.fields == {"GS-CG-0201": {"materials": ["duplicate codes: business-licence"]}}


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
