"""The supervision board's pages (电子监察): lights, overdue list, urging, statistics, audit trail, the chain.

A mixin the gateway service inherits: nameko collects the ``@http`` entrypoints of base classes too. Entry
points only: who may see what is in ``gateway.board``, every figure comes from the supervision service.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import eventlet
from nameko import config
from nameko.exceptions import RpcTimeout
from sqlalchemy import select
from werkzeug.wrappers import Request, Response

from gateway import board, domain, web
from gateway.domain import Principal
from gateway.limits import http
from gateway.models import PostRow
from sunlight.errors import SunlightError

#: seconds between the board's own reloads; the board is watched, not clicked
DEFAULT_REFRESH_SECONDS = 20
PageHandler = Callable[..., Response]


def staff_page(handler: PageHandler) -> PageHandler:
    """Signed-in staff only (else the sign-in page); a typed error from a service or a rule becomes a page."""

    @wraps(handler)
    def wrapped(self: Any, request: Request, **path: str) -> Response:
        who = self.staff(request)
        if who is None:
            return web.redirect("/staff/sign-in")
        try:
            return handler(self, request, who, **path)
        except SunlightError as exc:
            return web.error_page(exc, who=who)

    return wrapped


class SupervisionPages:
    """监察看板: what the supervising post, the leaders and discipline inspection watch."""

    # provided by the service class that inherits this mixin
    call: Callable[..., Any]
    rpc: Any
    db: Any
    staff: Callable[[Request], Principal | None]
    guard: Callable[..., Any]  # run a rule and return its answer; a refusal is a 403 and an access.denied event
    case_tenant: Callable[..., str]

    def watched(self, request: Request, who: Principal) -> str | None:
        """The tenant on the board (None: all, for an inspector); a refusal is logged for supervision."""
        asked = request.args.get("tenant", "").strip() or None
        tenant: str | None = self.guard(request, lambda: domain.watched_tenant(who, asked), who)
        return tenant

    def call_each(self, service: str, method: str, arguments: list[Any]) -> list[Any]:
        """The same RPC for many arguments at once, all in flight together, under one deadline."""
        replies = [getattr(getattr(self.rpc, service), method).call_async(argument) for argument in arguments]
        with eventlet.Timeout(float(config.get("RPC_TIMEOUT", 30)), RpcTimeout(f"{service}.{method}")):
            return [reply.result() for reply in replies]

    def post_names(self) -> dict[str, str]:
        """Posts as people call them (审批科审核岗), from the gateway's own table of posts."""
        with self.db.read() as session:
            return dict(session.execute(select(PostRow.code, PostRow.name)).tuples().all())

    def supervised_case(self, request: Request, who: Principal, number: str) -> dict[str, Any]:
        """One case's supervision record, for watchers of its tenant only."""
        case: dict[str, Any] = self.call("supervision", "case_supervision", number)
        self.guard(request, lambda: board.may_watch_case(who, case["tenant"]), who)
        return case

    @http("GET", "/supervision")  # type: ignore[untyped-decorator]
    @staff_page
    def board_page(self, request: Request, who: Principal) -> Response:
        tenant = self.watched(request, who)
        lit = [case["case_number"] for case in self.call("supervision", "inspect_cases")
               if case["state"] != board.CLOSED and case["lights"] and tenant in (None, case["tenant"])]
        # only cases with a light need their stages: whether each lit stage is still open
        shown = board.board(self.call_each("supervision", "case_supervision", lit))
        complaints = self.call("supervision", "complaints", {"tenant": tenant})
        return web.page("board.html", who=who, tenant=tenant, board=shown, complaints=complaints,
                        post_names=self.post_names(),
                        refresh=int(config.get("BOARD_REFRESH_SECONDS", DEFAULT_REFRESH_SECONDS)),
                        can_urge=who.role == "supervisor")

    @http("GET", "/supervision/cases/<number>")  # type: ignore[untyped-decorator]
    @staff_page
    def supervised_case_page(self, request: Request, who: Principal, number: str) -> Response:
        case = self.supervised_case(request, who, number)
        trail = self.call("supervision", "inspect_case_trail", number)
        return web.page("supervised_case.html", who=who, case=case, trail=trail, live=board.live_targets(case),
                        can_urge=who.role == "supervisor", message=request.args.get("message"))

    @http("POST", "/supervision/cases/<number>/urge")  # type: ignore[untyped-decorator]
    @staff_page
    def urge_form(self, request: Request, who: Principal, number: str) -> Response:
        """督办: the supervising post orders a late case or stage finished within some working days."""
        case = self.supervised_case(request, who, number)
        post = self.guard(request, lambda: domain.supervising_post(who, case["tenant"]), who)
        days = request.form.get("working_days", "").strip()
        urged = self.call("supervision", "urge", {
            "case_number": number, "target": request.form.get("target", "case"),
            "urged_by": post, "note": request.form.get("note", ""),
            "working_days": days or None})
        return web.redirect(f"/supervision/cases/{number}?message=已督办，限 {web.local(urged['deadline'])} 前办结")

    @http("POST", "/staff/cases/<number>/delay-reason")  # type: ignore[untyped-decorator]
    @staff_page
    def delay_reason_form(self, request: Request, who: Principal, number: str) -> Response:
        """延期说明: the holder of a late stage's post says why it is late, once."""
        post = request.form.get("post", "")
        tenant = self.case_tenant(number, "supervision")
        self.guard(request, lambda: domain.may_give_delay_reason(who, post, tenant), who)
        self.call("supervision", "enter_delay_reason", {
            "case_number": number, "target": request.form.get("target", "case"), "post": post,
            "reason": request.form.get("reason", "").strip()})
        return web.redirect(f"/staff/inbox?message=已提交 {number} 的延期说明")

    @http("GET", "/supervision/statistics")  # type: ignore[untyped-decorator]
    @staff_page
    def statistics_page(self, request: Request, who: Principal) -> Response:
        tenant = self.watched(request, who)
        quarter = request.args.get("quarter", "").strip() or None
        rows = self.call("supervision", "statistics", {"tenant": tenant, "quarter": quarter})
        return web.page("statistics.html", who=who, tenant=tenant, quarter=quarter or "", rows=rows,
                        charts=board.charts(rows), post_names=self.post_names())

    @http("GET", "/supervision/chain")  # type: ignore[untyped-decorator]
    @staff_page
    def chain_page(self, request: Request, who: Principal) -> Response:
        """The whole audit chain recomputed now: intact, or the first broken record named."""
        self.watched(request, who)
        return web.page("chain.html", who=who, result=self.call("supervision", "verify_audit_chain"))
