"""Who may read which inbox and decide which task; passwords and tokens. Pure, plus the admin CLI on both DBs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import admin, domain
from gateway.domain import Denied, Principal
from gateway.models import HoldingRow, UserRow
from gateway.settings import MIGRATIONS
from sunlight.db import make_engine
from sunlight.migrations import upgrade_to_head

REVIEWER_POST = "gs-city/approval-section/reviewer"
PEOPLE = {
    "applicant": Principal("a", "applicant"),
    "own-holder": Principal("r", "reviewer", "gs-city", (REVIEWER_POST,)),
    "own-tenant-other-post": Principal("c", "clerk", "gs-city", ("gs-city/approval-section/clerk",)),
    "own-supervisor": Principal("s", "supervisor", "gs-city", ("gs-city/supervision-office/supervisor",)),
    "other-tenant-reviewer": Principal("h", "reviewer", "hz-land", ("hz-land/approval-section/reviewer",)),
    "other-tenant-supervisor": Principal("y", "supervisor", "yz-land", ("yz-land/supervision-office/supervisor",)),
    "inspector": Principal("i", "inspector"),
    "admin": Principal("m", "admin"),
}
READ = {"own-holder", "own-supervisor", "inspector"}
DECIDE = {"own-holder"}


@pytest.mark.parametrize("who", sorted(PEOPLE))
def test_inbox_reading_follows_post_tenant_and_role(who: str) -> None:
    if who in READ:
        domain.may_read_inbox(PEOPLE[who], REVIEWER_POST)
    else:
        with pytest.raises(Denied):
            domain.may_read_inbox(PEOPLE[who], REVIEWER_POST)


@pytest.mark.parametrize("who", sorted(PEOPLE))
def test_only_a_holder_of_the_post_decides(who: str) -> None:
    if who in DECIDE:
        domain.may_decide(PEOPLE[who], REVIEWER_POST)
    else:
        with pytest.raises(Denied):
            domain.may_decide(PEOPLE[who], REVIEWER_POST)


def test_a_case_is_seen_in_its_tenant_or_by_an_inspector() -> None:
    domain.may_see_case(PEOPLE["own-tenant-other-post"], "gs-city")
    domain.may_see_case(PEOPLE["inspector"], "gs-city")
    for who in ("other-tenant-reviewer", "applicant", "admin"):
        with pytest.raises(Denied):
            domain.may_see_case(PEOPLE[who], "gs-city")


def allowed(rule: Callable[[Principal], object]) -> set[str]:
    """Who among PEOPLE passes a rule."""
    passed = set()
    for name, who in PEOPLE.items():
        try:
            rule(who)
        except Denied:
            continue
        passed.add(name)
    return passed


def test_payments_are_recorded_by_a_clerk_of_the_cases_tenant() -> None:
    assert allowed(lambda who: domain.may_record_payment(who, "gs-city")) == {"own-tenant-other-post"}


def test_lights_and_statistics_are_watched_in_the_own_tenant_and_by_inspectors_everywhere() -> None:
    assert allowed(lambda who: domain.watched_tenant(who, None)) == {
        "own-supervisor", "other-tenant-supervisor", "inspector"}
    assert allowed(lambda who: domain.watched_tenant(who, "gs-city")) == {"own-supervisor", "inspector"}
    assert domain.watched_tenant(PEOPLE["own-supervisor"], None) == "gs-city"
    assert domain.watched_tenant(PEOPLE["inspector"], None) is None
    assert domain.watched_tenant(Principal("l", "leader", "gs-city"), "gs-city") == "gs-city"


def test_a_supervisor_urges_from_their_supervising_post_in_the_cases_tenant_only() -> None:
    assert allowed(lambda who: domain.supervising_post(who, "gs-city")) == {"own-supervisor"}
    assert domain.supervising_post(PEOPLE["own-supervisor"], "gs-city") == "gs-city/supervision-office/supervisor"
    with pytest.raises(Denied, match="no supervising post"):
        domain.supervising_post(Principal("s", "supervisor", "gs-city", ()), "gs-city")


def test_a_delay_reason_comes_from_a_holder_of_the_post_in_the_cases_tenant() -> None:
    assert allowed(lambda who: domain.may_give_delay_reason(who, REVIEWER_POST, "gs-city")) == {"own-holder"}
    with pytest.raises(Denied):
        domain.may_give_delay_reason(PEOPLE["own-holder"], REVIEWER_POST, "hz-land")


def test_inspectors_read_everything_and_write_nothing() -> None:
    assert allowed(domain.may_inspect) == {"inspector"}
    assert allowed(domain.may_write) == set(PEOPLE) - {"inspector"}


def test_passwords_are_salted_hashes_that_verify_only_the_right_password() -> None:
    stored = domain.hash_password("correct horse 2026")
    assert "correct horse" not in stored and stored != domain.hash_password("correct horse 2026")
    assert domain.verify_password("correct horse 2026", stored)
    assert not domain.verify_password("correct horse 2027", stored)
    assert not domain.verify_password("anything", "not-a-hash")


def test_a_token_carries_the_principal_until_it_expires_and_cannot_be_forged() -> None:
    who = PEOPLE["own-holder"]
    token = domain.issue_token(who, secret=b"k" * 32, now=1000.0, ttl=60)
    assert domain.read_token(token, secret=b"k" * 32, now=1059.0) == who
    with pytest.raises(domain.BadToken):
        domain.read_token(token, secret=b"k" * 32, now=1061.0)
    with pytest.raises(domain.BadToken):
        domain.read_token(token, secret=b"other" * 8, now=1000.0)
    body, _, signature = token.partition(".")
    forged = domain.issue_token(PEOPLE["inspector"], secret=b"attacker", now=1000.0).partition(".")[0]
    with pytest.raises(domain.BadToken):
        domain.read_token(f"{forged}.{signature}", secret=b"k" * 32, now=1000.0)


def test_the_admin_cli_creates_demo_users_for_every_role(db_uri: str) -> None:
    engine = make_engine(db_uri, pool_size=2)
    upgrade_to_head(engine, MIGRATIONS)
    try:
        with Session(engine) as session, session.begin():
            admin.add_demo(session, "a-long-demo-pass")
        with Session(engine) as session, session.begin():
            admin.add_demo(session, "a-long-demo-pass")  # twice: the demo can be re-run
        with Session(engine) as session:
            users = {u.username: u for u in session.scalars(select(UserRow))}
            assert {u.role for u in users.values()} == set(domain.ROLES)
            assert domain.verify_password("a-long-demo-pass", users["gs-reviewer"].password_hash)
            held = set(session.execute(select(HoldingRow.post, HoldingRow.holder)
                                       .where(HoldingRow.username == "yz-clerk")).all())
            assert held == {("yz-land/registration-window/clerk", "A"), ("yz-land/registration-window/clerk-b", "B")}
        with Session(engine) as session, session.begin(), pytest.raises(admin.AdminError, match="not in tenant"):
            admin.add_user(session, "x", "X", "reviewer", "a-long-pass!", "hz-land", ((REVIEWER_POST, "A"),))
        with Session(engine) as session, session.begin(), pytest.raises(admin.AdminError, match="belongs to a tenant"):
            admin.add_user(session, "x", "X", "clerk", "a-long-pass!")
    finally:
        engine.dispose()


def test_nested_field_errors_are_flattened_to_the_documented_shape() -> None:
    from gateway.errors import error_response
    from sunlight.errors import ValidationFailed

    status, body = error_response(ValidationFailed("invalid", {"fees": {"0": ["Not a valid string."]},
                                                               "applicant": {"name": ["required"]},
                                                               "colour": ["unknown field"]}))
    assert status == 422
    assert body["fields"] == {"fees.0": ["Not a valid string."], "applicant.name": ["required"],
                              "colour": ["unknown field"]}


def test_a_service_behind_the_one_called_not_answering_is_a_503_to_try_again() -> None:
    from gateway.errors import error_response
    from sunlight.errors import Unavailable

    status, body = error_response(Unavailable("intake, which checks query codes, is not answering; try again shortly"))
    assert status == 503
    assert (body["error"], body["fields"]) == ("unavailable", {})
    assert "try again" in body["message"]
