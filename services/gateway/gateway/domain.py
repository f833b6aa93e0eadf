"""Who may do what at the door: passwords, signed tokens, roles, tenants and posts. Pure: no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field

ROLES = ("applicant", "clerk", "reviewer", "leader", "supervisor", "inspector", "admin")
STAFF_ROLES = frozenset(ROLES) - {"applicant"}
#: roles that decide tasks, always through a post they hold
DECIDING_ROLES = frozenset({"clerk", "reviewer", "leader"})

# scrypt (RFC 7914) from the standard library: memory-hard, OpenSSL-backed, no extra dependency
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_FAILED_SIGN_INS = 5
FAILED_SIGN_IN_WINDOW_SECONDS = 15 * 60
TOKEN_TTL_SECONDS = 8 * 3600


class Denied(Exception):
    """The principal may not do this; the message says why (for the log, and the 403 body)."""


class BadToken(Exception):
    """The token is missing, forged or expired."""


@dataclass(frozen=True)
class Principal:
    """A signed-in person: role, tenant (None for an inspector or applicant) and the posts they hold."""

    username: str
    role: str
    tenant: str | None = None
    posts: tuple[str, ...] = field(default_factory=tuple)


def tenant_of(post: str) -> str:
    """Posts are named tenant/department/role: gs-city/approval-section/reviewer."""
    return post.split("/", 1)[0]


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                         dklen=len(digest) // 2)
    return hmac.compare_digest(got.hex(), digest)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(principal: Principal, *, secret: bytes, now: float, ttl: int = TOKEN_TTL_SECONDS) -> str:
    """A bearer token: the principal and an expiry, HMAC-SHA256 signed with the gateway's secret."""
    body = _b64(json.dumps({"u": principal.username, "r": principal.role, "t": principal.tenant,
                            "p": list(principal.posts), "exp": int(now + ttl)},
                           separators=(",", ":")).encode())
    signature = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
    return f"{body}.{signature}"


def read_token(token: str, *, secret: bytes, now: float) -> Principal:
    body, _, signature = token.partition(".")
    expected = _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())
    if not signature or not hmac.compare_digest(signature, expected):
        raise BadToken("the token is not genuine")
    try:
        claims = json.loads(_unb64(body))
    except ValueError as exc:
        raise BadToken("the token cannot be read") from exc
    if claims["exp"] < now:
        raise BadToken("the token has expired; sign in again")
    return Principal(claims["u"], claims["r"], claims["t"], tuple(claims["p"]))


def may_read_inbox(who: Principal, post: str) -> None:
    """An inbox is read by its holders; a supervisor reads any post of their tenant; an inspector, all."""
    if who.role == "inspector":
        return
    if who.role not in STAFF_ROLES or who.role == "admin":
        raise Denied(f"role {who.role} has no inbox")
    if who.role == "supervisor" and who.tenant == tenant_of(post):
        return
    if tenant_of(post) != who.tenant:
        raise Denied(f"post {post} is in tenant {tenant_of(post)}, not {who.tenant}")
    if post not in who.posts:
        raise Denied(f"{who.username} does not hold post {post}")


def may_decide(who: Principal, post: str) -> None:
    """Only a holder of the post decides, in their own tenant; inspectors and supervisors only watch."""
    if who.role not in DECIDING_ROLES:
        raise Denied(f"role {who.role} does not decide tasks")
    if tenant_of(post) != who.tenant:
        raise Denied(f"post {post} is in tenant {tenant_of(post)}, not {who.tenant}")
    if post not in who.posts:
        raise Denied(f"{who.username} does not hold post {post}")


def may_see_case(who: Principal, case_tenant: str) -> None:
    """A case page: staff of the case's tenant, or an inspector."""
    if who.role == "inspector":
        return
    if who.role not in STAFF_ROLES or who.role == "admin":
        raise Denied(f"role {who.role} does not read cases")
    if who.tenant != case_tenant:
        raise Denied(f"the case is in tenant {case_tenant}, not {who.tenant}")


#: roles that may watch a tenant's lights and statistics (besides the inspector, who watches every tenant)
WATCHING_ROLES = frozenset({"supervisor", "leader"})
SUPERVISING_ROLE = "supervisor"  # the last part of a supervising post (督办岗): gs-city/supervision-office/supervisor


def may_write(who: Principal) -> None:
    """Discipline inspection (纪检监察) reads only: no route that changes anything accepts an inspector."""
    if who.role == "inspector":
        raise Denied("an inspector reads only")


def may_record_payment(who: Principal, case_tenant: str) -> None:
    """A payment is recorded at the window: a clerk of the case's tenant."""
    if who.role != "clerk":
        raise Denied(f"role {who.role} does not record payments; a clerk at the window does")
    if who.tenant != case_tenant:
        raise Denied(f"the case is in tenant {case_tenant}, not {who.tenant}")


def watched_tenant(who: Principal, asked: str | None) -> str | None:
    """Whose lights and statistics: a supervisor or leader their own tenant; an inspector any (None: all)."""
    if who.role == "inspector":
        return asked
    if who.role not in WATCHING_ROLES:
        raise Denied(f"role {who.role} does not watch lights and statistics")
    if asked is not None and asked != who.tenant:
        raise Denied(f"tenant {asked} is not {who.tenant}")
    return who.tenant


def supervising_post(who: Principal, case_tenant: str) -> str:
    """The supervising post the urging is made from: a supervisor's own, in the case's tenant."""
    if who.role != "supervisor":
        raise Denied(f"role {who.role} does not urge; a supervisor does")
    if who.tenant != case_tenant:
        raise Denied(f"the case is in tenant {case_tenant}, not {who.tenant}")
    for post in who.posts:
        if tenant_of(post) == case_tenant and post.rsplit("/", 1)[-1] == SUPERVISING_ROLE:
            return post
    raise Denied(f"{who.username} holds no supervising post in {case_tenant}")


def may_give_delay_reason(who: Principal, post: str, case_tenant: str) -> None:
    """A delay reason (延期说明) comes from a holder of the post answerable for the case, in its tenant."""
    may_decide(who, post)
    if tenant_of(post) != case_tenant:
        raise Denied(f"the case is in tenant {case_tenant}, not {tenant_of(post)}")


def may_inspect(who: Principal) -> None:
    """The discipline-inspection routes: every tenant's cases, trails and violations, for inspectors only."""
    if who.role != "inspector":
        raise Denied(f"role {who.role} has no discipline-inspection view")
