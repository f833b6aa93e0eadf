"""Gateway's entrypoints: read the request, call the service that decides, write JSON. No rules here."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import eventlet
import redis
from nameko import config
from nameko.constants import NON_PERSISTENT
from nameko.exceptions import RpcTimeout
from nameko.rpc import ClusterRpc
from sqlalchemy import select
from werkzeug.wrappers import Request, Response

# modules, not classes: `nameko run gateway.service` takes every class here with entrypoints for a service
from gateway import (
    api_inspection,
    api_supervision,
    domain,
    pages_public,
    pages_supervision,
    schemas,
    statusfeed,
    statusview,
    web,
)
from gateway.errors import TooManyAttempts, Unauthorized
from gateway.limits import http
from gateway.models import HoldingRow, UserRow, metadata
from gateway.openapi import build_spec
from gateway.recent import RecentAnswers
from gateway.rest import endpoint, json_body, query, required_query, respond
from gateway.settings import MIGRATIONS
from sunlight import base
from sunlight.contracts import ACCESS_DENIED, new_event
from sunlight.db import Database
from sunlight.errors import Forbidden, NotFound, ValidationFailed
from sunlight.rpc import KeptRpc

log = logging.getLogger(__name__)
SPEC = build_spec()
SESSION_COOKIE = "sunlight_session"
T = TypeVar("T")


def gateway_secret() -> bytes:
    """GATEWAY_SECRET signs tokens; without it each process makes its own (tokens die with the process)."""
    global _SECRET
    if _SECRET is None:
        configured = str(config.get("GATEWAY_SECRET") or "")
        if not configured:
            log.warning("GATEWAY_SECRET is not set: tokens are signed with a per-process secret")
        _SECRET = configured.encode() if configured else secrets.token_bytes(32)
    return _SECRET


_SECRET: bytes | None = None


def unknown_status(number: str) -> NotFound:
    """The one answer to a number nobody knows and to a known number with a wrong query code."""
    return NotFound(f"no application {number!r} with that query code",
                    {"code": ["unknown number, or the query code does not match"]})


def recent_answers() -> RecentAnswers:
    """Status answers kept per process for STATUS_CACHE_SECONDS (0 keeps none), read from the config once."""
    global _RECENT
    if _RECENT is None:
        _RECENT = RecentAnswers(float(config.get("STATUS_CACHE_SECONDS", 2)))
    return _RECENT


_RECENT: RecentAnswers | None = None
#: tasks per post on one page of the staff inbox (the nearest deadlines first; 下一页 for the rest)
INBOX_PAGE = 100


class GatewayService(api_supervision.SupervisionRoutes, api_inspection.InspectionRoutes,
                     pages_supervision.SupervisionPages, pages_public.PublicPages, statusfeed.StatusFeed,
                     base.ServiceBase):
    """The HTTP API of the public portal, the staff inbox and integrators."""

    name = "gateway"
    db = Database(metadata, MIGRATIONS)
    rpc = ClusterRpc(delivery_mode=NON_PERSISTENT)  # a request nobody answers is retried by its caller
    fast_rpc = KeptRpc()  # the public status lookup: no re-declare, no confirm, calls in flight together

    def call(self, service: str, method: str, *args: Any) -> Any:
        """One RPC with a deadline: a service that hangs must not hang the browser too."""
        reply = getattr(getattr(self.rpc, service), method).call_async(*args)
        with eventlet.Timeout(float(config.get("RPC_TIMEOUT", 30)), RpcTimeout(f"{service}.{method}")):
            return reply.result()

    def principal(self, request: Request) -> domain.Principal:
        """The signed-in person from ``Authorization: Bearer`` (API) or the session cookie (pages)."""
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get(SESSION_COOKIE)
        if not token:
            raise Unauthorized("sign in first: POST /api/session, then send Authorization: Bearer <token>")
        try:
            return domain.read_token(token, secret=gateway_secret(), now=time.time())
        except domain.BadToken as exc:
            raise Unauthorized(str(exc)) from exc

    def guard(self, request: Request, check: Callable[[], T], who: domain.Principal) -> T:
        """Run an authorization rule (its answer is returned); a refusal is a 403, a warning line and an
        ``access.denied`` event."""
        try:
            return check()
        except domain.Denied as exc:
            log.warning("access denied: user=%s role=%s tenant=%s %s %s: %s", who.username, who.role,
                        who.tenant, request.method, request.path, exc)
            with self.db.unit_of_work() as uow:  # published after commit, for supervision's records
                uow.emit(new_event(ACCESS_DENIED, None, {
                    "username": who.username, "role": who.role, "tenant": who.tenant,
                    "method": request.method, "path": request.path, "reason": str(exc)}, datetime.now(UTC)))
            raise Forbidden(str(exc), {"authorization": [str(exc)]}) from exc

    def public_write(self, request: Request) -> None:
        """A public form takes anyone, but not a signed-in inspector: discipline inspection only reads."""
        who = self.staff(request)
        if who is not None:
            self.guard(request, lambda: domain.may_write(who), who)

    def sign_in(self, username: str, password: str) -> tuple[domain.Principal, str]:
        """Check the password (at most MAX_FAILED_SIGN_INS failures per user per window) and issue a token."""
        client, key = self.singleton.client, f"{self.singleton.prefix}:signin-failures:{username}"
        try:
            failures = int(client.get(key) or 0)
        except redis.RedisError:
            log.warning("redis unavailable; sign-in for %s is not rate limited", username)
            failures, client = 0, None
        if failures >= domain.MAX_FAILED_SIGN_INS:
            log.warning("sign-in refused: user=%s has %d failed attempts", username, failures)
            raise TooManyAttempts("too many failed sign-ins; try again in 15 minutes")
        with self.db.read() as session:
            user = session.get(UserRow, username)
            posts = tuple(session.scalars(select(HoldingRow.post).where(HoldingRow.username == username)))
            found = user is not None and domain.verify_password(password, user.password_hash)
            who = domain.Principal(username, user.role, user.tenant, posts) if found and user else None
        if who is None:
            if client is not None:
                with client.pipeline() as pipe:
                    pipe.incr(key).expire(key, domain.FAILED_SIGN_IN_WINDOW_SECONDS).execute()
            log.warning("failed sign-in: user=%s", username)
            raise Unauthorized("wrong username or password")
        if client is not None and failures:
            client.delete(key)
        return who, domain.issue_token(who, secret=gateway_secret(), now=time.time())

    def public_status(self, number: str, code: str) -> dict[str, Any]:
        """What the applicant may see with the number and query code; a wrong code looks like no number.

        The public hot path: an answer this process gave for the same number and code less than
        STATUS_CACHE_SECONDS ago, else one read of the read model (gateway.statusfeed) when it holds
        the whole answer and the code matches intake's digest, else both lookups in flight at once over
        the kept-open client; the case is read only after the query code matched, so a wrong code
        reveals nothing of it."""
        asked_at = time.monotonic()
        kept = recent_answers().get(number, code, asked_at)
        if kept is not None:
            return kept
        answer, digest_refused = self.local_status(number, code)
        if answer is None:
            answer = self.fetch_status(number, code)
            if digest_refused:  # intake took the code its own digest refused: the two keys differ
                log.warning("query code of %s refused by its digest but right: is QUERY_CODE_KEY the same "
                            "in intake and gateway?", number)
        recent_answers().put(number, code, answer, asked_at)
        return answer

    def fetch_status(self, number: str, code: str) -> dict[str, Any]:
        receipt, case = self.fast_rpc.call_all(("intake", "get_application", (number,)),
                                               ("workflow", "get_case", (number,)))
        if isinstance(receipt, NotFound) or (isinstance(receipt, dict) and receipt["query_code"] != code):
            raise unknown_status(number)  # a wrong code and an unknown number: the same answer, word for word
        if isinstance(receipt, Exception):
            raise receipt
        if isinstance(case, NotFound):  # the code matched: received, and workflow has not opened it yet
            case = None
        elif isinstance(case, Exception):
            raise case
        certificate = None
        if case is not None and case["status"] == "approved":
            try:
                certificate = self.call("registry", "certificate_for_case", number)["number"]
            except NotFound:
                certificate = None
        return statusview.from_lookups(receipt, case, certificate)

    @http("POST", "/api/session")  # type: ignore[untyped-decorator]
    @endpoint
    def create_session(self, request: Request) -> tuple[int, Any]:
        body = json_body(request, schemas.SignInSchema(), "sign-in")
        who, token = self.sign_in(body["username"], body["password"])
        return 201, {"token": token, "token_type": "Bearer", "expires_in": domain.TOKEN_TTL_SECONDS,
                     "username": who.username, "role": who.role, "tenant": who.tenant, "posts": list(who.posts)}

    @http("GET", "/openapi.json")  # type: ignore[untyped-decorator]
    def openapi(self, request: Request) -> Response:
        return respond(200, SPEC)

    @http("GET", "/healthz")  # type: ignore[untyped-decorator]
    def healthz(self, request: Request) -> Response:
        return respond(200, {"status": "ok"})

    @http("GET", "/api/items")  # type: ignore[untyped-decorator]
    @endpoint
    def list_items(self, request: Request) -> tuple[int, Any]:
        return 200, self.call("intake", "list_items")

    @http("GET", "/api/items/<code>")  # type: ignore[untyped-decorator]
    @endpoint
    def get_item(self, request: Request, code: str) -> tuple[int, Any]:
        for item in self.call("intake", "list_items"):
            if item["code"] == code:
                return 200, item
        raise NotFound(f"no item {code!r}", {"code": ["not in the catalogue"]})

    @http("POST", "/api/applications")  # type: ignore[untyped-decorator]
    @endpoint
    def submit_application(self, request: Request) -> tuple[int, Any]:
        self.public_write(request)
        body = json_body(request, schemas.ApplicationRequestSchema(), "application")
        key = request.headers.get("Idempotency-Key")
        if key:
            body["idempotency_key"] = key
        return 201, self.call("intake", "submit_application", body)

    @http("GET", "/api/applications/<number>/status")  # type: ignore[untyped-decorator]
    @endpoint
    def application_status(self, request: Request, number: str) -> tuple[int, Any]:
        return 200, self.public_status(number, required_query(request, "code"))

    @http("GET", "/api/tasks")  # type: ignore[untyped-decorator]
    @endpoint
    def list_tasks(self, request: Request) -> tuple[int, Any]:
        who = self.principal(request)
        page = query(request, schemas.InboxQuerySchema(), "inbox page")
        post = str(page.get("post") or "").strip() or (who.posts[0] if who.posts else "")
        if not post:
            raise ValidationFailed("query parameter 'post' is required", {"post": ["required"]})
        self.guard(request, lambda: domain.may_read_inbox(who, post), who)
        return 200, self.call("workflow", "list_tasks", post, page.get("limit"), page.get("after"))

    @http("POST", "/api/tasks/<task_id>/decision")  # type: ignore[untyped-decorator]
    @endpoint
    def decide(self, request: Request, task_id: str) -> tuple[int, Any]:
        who = self.principal(request)
        body = json_body(request, schemas.DecisionSchema(), "decision")
        self.guard(request, lambda: domain.may_decide(who, body["post"]), who)
        # the actor is who signed in, whatever the body says
        return 200, self.call("workflow", "complete_task", {**body, "actor": who.username, "task_id": task_id})

    @http("GET", "/api/cases/<number>")  # type: ignore[untyped-decorator]
    @endpoint
    def get_case(self, request: Request, number: str) -> tuple[int, Any]:
        """A case in full for staff of its tenant (or an inspector): tasks, opinions, timing."""
        who = self.principal(request)
        case = self.call("workflow", "get_case", number)
        self.guard(request, lambda: domain.may_see_case(who, case["tenant"]), who)
        return 200, case

    @http("GET", "/api/certificates/<number>")  # type: ignore[untyped-decorator]
    @endpoint
    def verify_certificate(self, request: Request, number: str) -> tuple[int, Any]:
        return 200, self.call("registry", "get_certificate", number)

    @http("POST", "/api/ratings")  # type: ignore[untyped-decorator]
    @endpoint
    def rate(self, request: Request) -> tuple[int, Any]:
        self.public_write(request)
        return 201, self.call("supervision", "rate_case", json_body(request, schemas.RatingRequestSchema(), "rating"))

    # --- pages: the public portal -------------------------------------------------------------------

    @http("GET", "/")  # type: ignore[untyped-decorator]
    def catalogue_page(self, request: Request) -> Response:
        return web.page("catalogue.html", items=self.call("intake", "list_items"))

    @http("GET", "/items/<code>")  # type: ignore[untyped-decorator]
    def item_page(self, request: Request, code: str) -> Response:
        try:
            item = self.call("intake", "get_item", code)
        except NotFound:
            return web.page("status.html", 404, error="没有这个事项。", number="", code="")
        return web.page("item.html", item=item, form={"kind": "person"}, errors={})

    @http("POST", "/items/<code>/apply")  # type: ignore[untyped-decorator]
    def apply_page(self, request: Request, code: str) -> Response:
        try:
            self.public_write(request)
        except Forbidden as exc:
            return web.page("status.html", 403, error=f"无权办理：{exc}", number="", code="")
        item = self.call("intake", "get_item", code)
        application = web.application_from_form(request, code)
        try:
            receipt = self.call("intake", "submit_application", application)
        except ValidationFailed as exc:  # IncompleteApplication too: everything missing, at once
            return web.page("item.html", 422, item=item, form=application["applicant"],
                            errors=web.field_errors(exc, web.field_names(item)))
        return web.page("receipt.html", 201, receipt=receipt)

    @http("GET", "/status")  # type: ignore[untyped-decorator]
    def status_page(self, request: Request) -> Response:
        number, code = request.args.get("number", "").strip(), request.args.get("code", "").strip()
        if not (number and code):
            return web.page("status.html", number=number, code=code)
        try:
            found = self.public_status(number, code)
        except NotFound:
            return web.page("status.html", 404, number=number, code=code, error="申请号或查询码不正确。")
        return web.page("status.html", number=number, code=code, found=found)

    # --- pages: staff ---------------------------------------------------------------------------------

    def staff(self, request: Request) -> domain.Principal | None:
        try:
            return self.principal(request)
        except Unauthorized:
            return None

    @http("GET", "/staff/sign-in")  # type: ignore[untyped-decorator]
    def sign_in_page(self, request: Request) -> Response:
        return web.page("sign_in.html", username="")

    @http("POST", "/staff/sign-in")  # type: ignore[untyped-decorator]
    def sign_in_form(self, request: Request) -> Response:
        username = request.form.get("username", "").strip()
        try:
            _who, token = self.sign_in(username, request.form.get("password", ""))
        except Unauthorized:
            return web.page("sign_in.html", 401, username=username, error="用户名或密码不正确。")
        except TooManyAttempts:
            return web.page("sign_in.html", 429, username=username, error="登录失败次数过多，请 15 分钟后再试。")
        response = web.redirect("/staff/inbox")
        response.set_cookie(SESSION_COOKIE, token, max_age=domain.TOKEN_TTL_SECONDS, httponly=True,
                            samesite="Strict", path="/")
        return response

    @http("GET", "/staff/inbox")  # type: ignore[untyped-decorator]
    def inbox_page(self, request: Request) -> Response:
        who = self.staff(request)
        if who is None:
            return web.redirect("/staff/sign-in")
        posts = [request.args["post"]] if request.args.get("post") else list(who.posts)
        try:
            for post in posts:
                self.guard(request, lambda p=post: domain.may_read_inbox(who, p), who)
        except Forbidden as exc:
            return web.page("status.html", 403, who=who, error=f"无权查看：{exc}", number="", code="")
        after = request.args.get("after") if len(posts) == 1 else None  # "下一页" pages one post
        try:
            inboxes = [(post, self.call("workflow", "list_tasks", post, INBOX_PAGE, after)) for post in posts]
        except ValidationFailed as exc:
            return web.page("status.html", 422, who=who, error=f"无法翻页：{exc}", number="", code="")
        return web.page("inbox.html", who=who, inboxes=inboxes, message=request.args.get("message"),
                        can_decide=who.role in domain.DECIDING_ROLES, page_size=INBOX_PAGE, paged=bool(after))

    @http("POST", "/staff/tasks/<task_id>/decision")  # type: ignore[untyped-decorator]
    def decision_form(self, request: Request, task_id: str) -> Response:
        who = self.staff(request)
        if who is None:
            return web.redirect("/staff/sign-in")
        post = request.form.get("post", "")
        try:
            self.guard(request, lambda: domain.may_decide(who, post), who)
            result = self.call("workflow", "complete_task", {
                "task_id": task_id, "post": post, "actor": who.username,
                "decision": request.form.get("decision", ""), "opinion": request.form.get("opinion", "")})
        except (Forbidden, ValidationFailed, NotFound) as exc:
            return web.page("status.html", 403 if isinstance(exc, Forbidden) else 422, who=who,
                            error=f"未能办理：{exc}", number="", code="")
        return web.redirect(f"/staff/inbox?message=已办理 {result['case_number']}")

    @http("GET", "/staff/cases/<number>")  # type: ignore[untyped-decorator]
    def case_page(self, request: Request, number: str) -> Response:
        who = self.staff(request)
        if who is None:
            return web.redirect("/staff/sign-in")
        try:
            case = self.call("workflow", "get_case", number)
            self.guard(request, lambda: domain.may_see_case(who, case["tenant"]), who)
        except NotFound:
            return web.page("status.html", 404, who=who, error="没有这个办件。", number="", code="")
        except Forbidden as exc:
            return web.page("status.html", 403, who=who, error=f"无权查看：{exc}", number="", code="")
        return web.page("case.html", who=who, case=case)
