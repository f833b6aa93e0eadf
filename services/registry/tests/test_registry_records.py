"""One project code through the chain, parcels and their rights, mortgages, public verification and
the printable page: on SQLite and on PostgreSQL, through registry's units of work and read side."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from registry import domain, records
from registry.documents import render_certificate
from registry.models import CertificateRow, metadata
from registry.queries import parcel_history, project_chain, verification
from registry.schemas import ParcelSchema
from registry.settings import MIGRATIONS
from sunlight.calendar import SHANGHAI
from sunlight.contracts import APPLICATION_ACCEPTED, CASE_APPROVED, Event, new_event
from sunlight.db import Store
from sunlight.errors import Conflict, NotFound, NotGenuine, ValidationFailed

NOW = datetime(2026, 10, 8, 10, 0, tzinfo=SHANGHAI)
FACTORY = {"name": "杭州远景智造有限公司", "mobile": "13805710000"}
PARCEL = {"code": "330106001001GB00021", "location": "杭州市西湖区三墩镇振华路以北、紫宣路以东",
          "geometry": {"type": "Polygon", "coordinates": [[[120.08, 30.32], [120.09, 30.32], [120.09, 30.33],
                                                           [120.08, 30.32]]]},
          "area_m2": 26666.7, "land_use": "工业用地", "right_type": "granted", "term_years": 50}


@pytest.fixture
def store(make_store: Any) -> Iterator[Store]:
    yield make_store(metadata, MIGRATIONS, "registry")


def issue_title(store: Store, case_number: str, form: dict[str, Any], holder: dict[str, str] = FACTORY) -> str:
    """A large-parcel registration accepted (with its form) and approved: the title's number."""
    payload = {"application_number": case_number, "item_code": "HZ-DJ-0101", "item_name": "国有建设用地使用权首次登记",
               "tenant": "hz-land", "process": "fast-track-registration", "applicant": holder,
               "accepted_at": NOW, "promised_date": NOW.date(), "certificate_kind": "title", "fees_due": [],
               "form": form}
    received = Event.from_message(new_event(APPLICATION_ACCEPTED, case_number, payload, NOW).to_message()).payload
    parcel = ParcelSchema().load(form["parcel"]) if "parcel" in form else None
    approval = {"item_code": "HZ-DJ-0101", "item_name": "国有建设用地使用权首次登记", "tenant": "hz-land",
                "applicant": holder, "certificate_kind": "title", "decided_at": NOW}
    decided = Event.from_message(new_event(CASE_APPROVED, case_number, approval, NOW).to_message()).payload
    with store.unit_of_work() as uow:
        records.record_acceptance(uow, received, case_number=case_number, fees=[], parcel=parcel, now=NOW)
        issued = records.record_approval(uow, decided, case_number=case_number, now=NOW)
    assert issued is not None
    return issued.number


def mortgage(store: Store, title_number: str, mortgagee: str = "中国工商银行杭州分行") -> dict[str, Any]:
    with store.unit_of_work() as uow:
        row = records.register_mortgage(uow, title_number=title_number, mortgagee=mortgagee,
                                        amount_fen=3_000_000_000, now=NOW)
        return {"number": row.number, "rank": row.rank}


def test_a_project_keeps_one_code_from_its_first_application_to_its_certificates(store: Store) -> None:
    first = issue_title(store, "HZ-2026-000001", {"project_name": "远景智造年产10万台电机项目"})
    with store.read() as session:
        code = session.get(CertificateRow, first).project_code  # type: ignore[union-attr]
    assert code == "HZ-XM-2026-000001"
    second = issue_title(store, "HZ-2026-000002", {"project_code": code, "parcel": PARCEL})
    with store.read() as session:
        chain = project_chain(session, code)
    assert chain["name"] == "远景智造年产10万台电机项目" and chain["first_case_number"] == "HZ-2026-000001"
    assert [c["case_number"] for c in chain["cases"]] == ["HZ-2026-000001", "HZ-2026-000002"]
    assert [c["certificate"]["number"] for c in chain["cases"]] == [first, second]
    assert [p["code"] for p in chain["parcels"]] == [PARCEL["code"]]


def test_a_code_given_by_the_provincial_platform_is_kept_as_given(store: Store) -> None:
    number = issue_title(store, "HZ-2026-000003", {"project_code": "2026-330106-30-01-123456"})
    with store.read() as session:
        assert project_chain(session, "2026-330106-30-01-123456")["cases"][0]["certificate"]["number"] == number
        with pytest.raises(NotFound):
            project_chain(session, "2026-330106-30-01-999999")


def test_a_parcel_keeps_every_change_of_its_right(store: Store) -> None:
    first = issue_title(store, "HZ-2026-000004", {"parcel": PARCEL})
    pledge = mortgage(store, first)
    with store.unit_of_work() as uow:
        records.release_mortgage(uow, mortgage_number=pledge["number"], now=NOW)
    buyer = {"name": "杭州新制造科技有限公司", "mobile": "13905710001"}
    second = issue_title(store, "HZ-2026-000005", {"parcel": PARCEL}, holder=buyer)
    with store.read() as session:
        parcel = parcel_history(session, PARCEL["code"])
        assert session.get(CertificateRow, first).status == "superseded"  # type: ignore[union-attr]
    assert parcel["owner_name"] == "杭州新制造科技有限公司" and parcel["title_number"] == second
    assert parcel["geometry"]["type"] == "Polygon" and parcel["right_type"] == "granted"
    assert [(h["change"], h["document_number"]) for h in parcel["history"]] == [
        ("first-registration", first), ("mortgage-rank-1", pledge["number"]),
        ("mortgage-released", pledge["number"]), ("transfer", second)]


def test_a_title_takes_a_first_and_a_second_rank_mortgage_and_refuses_a_third(store: Store) -> None:
    title = issue_title(store, "HZ-2026-000006", {"parcel": PARCEL})
    first, second = mortgage(store, title), mortgage(store, title, "杭州银行")
    assert (first["rank"], second["rank"]) == (1, 2)
    assert first["number"] == "浙(2026)杭州市不动产证明第0000001号"
    with pytest.raises(Conflict) as third:
        mortgage(store, title, "浙商银行")
    assert "at most 2" in str(third.value.fields)
    with store.unit_of_work() as uow:
        records.release_mortgage(uow, mortgage_number=first["number"], now=NOW)
    assert mortgage(store, title, "浙商银行")["rank"] == 2  # a rank freed by a release is taken again
    with store.unit_of_work() as uow, pytest.raises(Conflict):
        records.release_mortgage(uow, mortgage_number=first["number"], now=NOW)


def test_a_mortgage_on_a_title_that_does_not_exist_is_refused_and_changes_nothing(store: Store) -> None:
    with pytest.raises(NotFound):
        mortgage(store, "浙(2026)杭州市不动产权第9999999号")
    title = issue_title(store, "HZ-2026-000007", {})
    assert mortgage(store, title)["number"].endswith("第0000001号")  # the refused one took no number


def test_anyone_can_verify_a_title_with_its_code_and_sees_the_holder_masked(store: Store) -> None:
    number = issue_title(store, "HZ-2026-000008", {"parcel": PARCEL})
    mortgage(store, number)
    with store.read() as session:
        code = session.get(CertificateRow, number).verification_code  # type: ignore[union-attr]
        seen = verification(session, number, code.lower())
    assert seen["genuine"] and seen["current"] and seen["mortgaged"] and seen["mortgage_ranks"] == [1]
    assert seen["certificate"]["holder_name"] == "杭" + "*" * 9
    assert seen["certificate"]["holder_mobile"] == "138****0000"
    assert seen["parcel"]["code"] == PARCEL["code"] and seen["parcel"]["owner_name"] == "杭" + "*" * 9
    assert "远景" not in str(seen) and "13805710000" not in str(seen) and code not in str(seen)


def test_a_forged_number_or_code_gets_not_genuine(store: Store) -> None:
    number = issue_title(store, "HZ-2026-000009", {})
    with store.read() as session:
        with pytest.raises(NotGenuine):
            verification(session, number, "00000000")
        with pytest.raises(NotGenuine):
            verification(session, "浙(2026)杭州市不动产权第0999999号", "00000000")


def test_the_printable_page_shows_number_holder_parcel_and_verification_code(store: Store) -> None:
    number = issue_title(store, "HZ-2026-000010", {"parcel": PARCEL, "project_name": "<script>x</script>"})
    with store.read() as session:
        row = session.get(CertificateRow, number)
        assert row is not None
        page, code = render_certificate(session, row), row.verification_code
    for shown in (number, "杭州远景智造有限公司", PARCEL["code"], PARCEL["location"], "26,666.70", "出让",
                  code, "杭州市国土资源局", "2026年10月08日", "有效"):
        assert shown in page
    assert "<script>" not in page


def test_a_parcel_with_an_unknown_right_type_is_refused_naming_the_field() -> None:
    from sunlight.contracts import load_or_fail
    with pytest.raises(ValidationFailed) as refused:
        load_or_fail(ParcelSchema(), {**PARCEL, "right_type": "owned", "area_m2": -1}, "parcel")
    assert set(refused.value.fields) == {"right_type", "area_m2"}


def test_the_domain_numbers_a_certificate_of_mortgage_and_a_new_project() -> None:
    from sunlight.tenants import tenant
    assert domain.mortgage_number(tenant("hz-land"), 2026, 12) == "浙(2026)杭州市不动产证明第0000012号"
    assert domain.project_code({}, prefix="HZ", year=2026, sequence=7) == "HZ-XM-2026-000007"
    assert domain.project_code({"project_code": " 2026-330106-30-01-1 "}, prefix="HZ", year=2026,
                               sequence=None) == "2026-330106-30-01-1"
