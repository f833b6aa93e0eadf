"""Create tenants, posts and users in gateway's database: ``python -m gateway.admin --help``.

    python -m gateway.admin tenant gs-city 拱墅区城管局
    python -m gateway.admin post gs-city/approval-section/reviewer 审批科审核岗
    python -m gateway.admin user wang 王审核 reviewer --tenant gs-city \
        --post gs-city/approval-section/reviewer --password '...'
    python -m gateway.admin demo            # demo tenants, posts and one user per role

The database is the gateway's (env DB_URI, as the service reads it), migrated to head first.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime

from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from gateway.domain import ROLES, STAFF_ROLES, hash_password, tenant_of
from gateway.models import HoldingRow, PostRow, TenantRow, UserRow
from gateway.settings import MIGRATIONS
from sunlight.db import make_engine
from sunlight.migrations import upgrade_to_head
from sunlight.tenants import all_tenants

DEMO_PASSWORD = "sunlight-demo-2026"  # noqa: S105 - printed by the demo on purpose
DEMO_TENANTS = {code: all_tenants()[code].name for code in ("gs-city", "hz-land", "yz-land")}
DEMO_POSTS = {
    "gs-city/approval-section/clerk": "审批科受理岗", "gs-city/approval-section/reviewer": "审批科审核岗",
    "gs-city/leadership/leader": "分管领导岗", "gs-city/supervision-office/supervisor": "监察室督办岗",
    "hz-land/approval-section/reviewer": "审批处审核岗",
    # the shop sign's four departments in parallel (seed 002) and the large parcel's fast track (seed 000)
    "gs-city/cityscape-section/reviewer": "市容科审查岗", "gs-city/commerce-bureau/reviewer": "商务局审查岗",
    "gs-city/traffic-police/reviewer": "交警大队审查岗", "gs-city/planning-bureau/reviewer": "规划分局审查岗",
    "hz-land/registration-window/clerk": "登记窗口受理岗", "hz-land/registration-section/registrar": "登记科承办岗",
    "hz-land/registration-section/chief": "登记科审批岗",
    "yz-land/registration-window/clerk": "登记窗口受理岗(A)",
    "yz-land/registration-window/clerk-b": "登记窗口受理岗(B)",
    "yz-land/supervision-office/supervisor": "监察室督办岗",
}
#: username, display name, role, tenant, posts held (post, A/B)
DEMO_USERS: tuple[tuple[str, str, str, str | None, tuple[tuple[str, str], ...]], ...] = (
    ("applicant", "张申请", "applicant", None, ()),
    ("gs-clerk", "李受理", "clerk", "gs-city", (("gs-city/approval-section/clerk", "A"),)),
    ("gs-reviewer", "王审核", "reviewer", "gs-city", (("gs-city/approval-section/reviewer", "A"),)),
    ("gs-leader", "赵领导", "leader", "gs-city", (("gs-city/leadership/leader", "A"),)),
    ("gs-supervisor", "钱监察", "supervisor", "gs-city", (("gs-city/supervision-office/supervisor", "A"),)),
    ("hz-reviewer", "孙审核", "reviewer", "hz-land", (("hz-land/approval-section/reviewer", "A"),)),
    ("gs-cityscape", "孙市容", "reviewer", "gs-city", (("gs-city/cityscape-section/reviewer", "A"),)),
    ("gs-commerce", "钱商务", "reviewer", "gs-city", (("gs-city/commerce-bureau/reviewer", "A"),)),
    ("gs-traffic", "赵交警", "reviewer", "gs-city", (("gs-city/traffic-police/reviewer", "A"),)),
    ("gs-planning", "何规划", "reviewer", "gs-city", (("gs-city/planning-bureau/reviewer", "A"),)),
    ("hz-window", "吴受理", "clerk", "hz-land", (("hz-land/registration-window/clerk", "A"),)),
    ("hz-registrar", "郑登记", "reviewer", "hz-land", (("hz-land/registration-section/registrar", "A"),)),
    ("hz-chief", "冯科长", "leader", "hz-land", (("hz-land/registration-section/chief", "A"),)),
    ("yz-clerk", "周受理", "clerk", "yz-land", (("yz-land/registration-window/clerk", "A"),
                                              ("yz-land/registration-window/clerk-b", "B"))),
    ("inspector", "吴巡查", "inspector", None, ()),
    ("admin", "郑管理", "admin", None, ()),
)


class AdminError(Exception):
    """A request the CLI refuses, with the reason."""


def engine_from_env() -> Engine:
    engine = make_engine(os.environ.get("DB_URI", "sqlite:///var/gateway.db"), pool_size=2)
    upgrade_to_head(engine, MIGRATIONS)
    return engine


def add_tenant(session: Session, code: str, name: str) -> None:
    session.merge(TenantRow(code=code, name=name))


def add_post(session: Session, code: str, name: str) -> None:
    parts = code.split("/")
    if len(parts) != 3 or not all(parts):
        raise AdminError(f"a post is tenant/department/role, not {code!r}")
    if session.get(TenantRow, parts[0]) is None:
        raise AdminError(f"no tenant {parts[0]!r}; create it first")
    session.merge(PostRow(code=code, tenant=parts[0], department=parts[1], name=name))


def add_user(session: Session, username: str, display_name: str, role: str, password: str,
             tenant: str | None = None, posts: tuple[tuple[str, str], ...] = ()) -> None:
    if role not in ROLES:
        raise AdminError(f"role must be one of {', '.join(ROLES)}")
    if role in STAFF_ROLES - {"inspector", "admin"} and tenant is None:
        raise AdminError(f"a {role} belongs to a tenant (--tenant)")
    if len(password) < 10:
        raise AdminError("a password has at least 10 characters")
    for post, holder in posts:
        if session.get(PostRow, post) is None:
            raise AdminError(f"no post {post!r}; create it first")
        if tenant_of(post) != tenant:
            raise AdminError(f"post {post} is not in tenant {tenant}")
        if holder not in ("A", "B"):
            raise AdminError("a holder is A or B")
    session.merge(UserRow(username=username, display_name=display_name, role=role, tenant=tenant,
                          password_hash=hash_password(password), created_at=datetime.now(UTC)))
    session.flush()
    session.execute(delete(HoldingRow).where(HoldingRow.username == username))
    for post, holder in posts:
        session.add(HoldingRow(username=username, post=post, holder=holder))


def add_demo(session: Session, password: str = DEMO_PASSWORD) -> list[str]:
    for code, name in DEMO_TENANTS.items():
        add_tenant(session, code, name)
    session.flush()
    for code, name in DEMO_POSTS.items():
        add_post(session, code, name)
    session.flush()
    for username, display, role, tenant, posts in DEMO_USERS:
        add_user(session, username, display, role, password, tenant, posts)
    return [f"{username:14} {role:10} {tenant or '(all tenants)' if role == 'inspector' else tenant or '-'}"
            for username, _, role, tenant, _ in DEMO_USERS]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.admin", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    tenant = commands.add_parser("tenant", help="create or rename a tenant")
    tenant.add_argument("code")
    tenant.add_argument("name")
    post = commands.add_parser("post", help="create a post tenant/department/role")
    post.add_argument("code")
    post.add_argument("name")
    user = commands.add_parser("user", help="create a user (or reset their password and posts)")
    user.add_argument("username")
    user.add_argument("display_name")
    user.add_argument("role", choices=ROLES)
    user.add_argument("--tenant")
    user.add_argument("--post", action="append", default=[], help="a post held as A; POST:B for the backup")
    user.add_argument("--password", default=os.environ.get("GATEWAY_NEW_PASSWORD"), required=False)
    demo = commands.add_parser("demo", help=f"demo tenants, posts and one user per role ({DEMO_PASSWORD})")
    demo.add_argument("--password", default=DEMO_PASSWORD)
    args = parser.parse_args(argv)

    engine = engine_from_env()
    try:
        with Session(engine) as session, session.begin():
            if args.command == "tenant":
                add_tenant(session, args.code, args.name)
            elif args.command == "post":
                add_post(session, args.code, args.name)
            elif args.command == "user":
                if not args.password:
                    raise AdminError("give --password or GATEWAY_NEW_PASSWORD")
                held = tuple((p.split(":")[0], p.split(":")[1] if ":" in p else "A") for p in args.post)
                add_user(session, args.username, args.display_name, args.role, args.password, args.tenant, held)
            else:
                for line in add_demo(session, args.password):
                    print(line)
                print(f"demo password for every user: {args.password}")
    except AdminError as error:
        print(f"gateway.admin: {error}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
