"""Departments by their Chinese names, from the one table in tenants.yml."""

from __future__ import annotations

import pytest

from sunlight.tenants import all_tenants, department_name, tenant_name


def test_a_department_is_named_as_its_tenant_calls_it() -> None:
    assert department_name("gs-city", "approval-section") == "审批科"
    assert department_name("hz-land", "approval-section") == "审批处"  # a bureau's own name comes first
    assert department_name("hz-land", "registration-section") == "登记科"  # else the shared one


def test_every_department_in_the_process_definitions_and_demo_posts_has_a_chinese_name() -> None:
    codes = ("leadership", "supervision-office", "cityscape-section", "commerce-bureau", "traffic-police",
             "planning-bureau", "registration-window", "land-use-section", "muck-section", "window", "government",
             "greening-office", "municipal-office", "cadastre-agency", "survey-agency", "valuation-agency",
             "planning-section", "cadastre-section", "land-market-section", "law-section", "finance-section",
             "farmland-section")
    for code in codes:
        assert department_name("gs-city", code) != code, code


@pytest.mark.parametrize(("tenant", "department"), [("gs-city", "no-such-section"), ("nowhere", "")])
def test_an_unknown_department_or_tenant_shows_as_its_code(tenant: str, department: str) -> None:
    assert department_name(tenant, department) == department


def test_a_tenant_is_named_and_the_departments_table_is_not_a_tenant_field() -> None:
    assert tenant_name("gs-city") == "杭州市拱墅区城市管理局" and tenant_name("nowhere") == "nowhere"
    assert all_tenants()["hz-land"].name == "杭州市国土资源局"
