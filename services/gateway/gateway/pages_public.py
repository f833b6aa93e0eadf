"""The public portal's pages beyond applying: published results, the rating card, complaints and their status.

A mixin the gateway service inherits (nameko collects ``@http`` entrypoints from base classes). Entry points
only: the rules live in the supervision and registry services and in ``gateway.publication``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nameko import config
from werkzeug.wrappers import Request, Response

from gateway import publication, web
from gateway.limits import http
from sunlight.errors import Conflict, Forbidden, NotFound, ValidationFailed
from sunlight.tenants import all_tenants

RATING_LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "很不满意"}
COMPLETED = ("approved", "rejected")
RESULTS_LISTED = 50
#: a violation is published once it has stood this long: events held in a retry queue (seconds) that would
#: disprove it have arrived by then; one disproved later still is withdrawn from the list
DEFAULT_VIOLATION_GRACE_SECONDS = 300
COMPLAINT_FIELDS = {"complainant.name": "姓名", "complainant.mobile": "手机号码", "subject": "主题", "text": "内容",
                    "case_number": "相关申请号", "tenant": "受理单位"}


class PublicPages:
    """Pages anyone may open: 结果公开, 每事一卡, 网上投诉."""

    # provided by the service class that inherits this mixin
    call: Callable[..., Any]
    public_status: Callable[[str, str], dict[str, Any]]
    public_write: Callable[[Request], None]  # a signed-in inspector only reads: 403 and access.denied

    @http("GET", "/results")  # type: ignore[untyped-decorator]
    def results_page(self, request: Request) -> Response:
        """政务公开: approval results, land supply, registrations and violations found (seed 004)."""
        tenant = request.args.get("tenant", "").strip() or None
        certificates = self.call("registry", "issued_certificates", {"tenant": tenant, "limit": RESULTS_LISTED})
        grace = int(config.get("RESULTS_VIOLATION_GRACE_SECONDS", DEFAULT_VIOLATION_GRACE_SECONDS))
        violations = self.call("supervision", "violations", {"tenant": tenant, "settled_seconds": grace})
        violations = violations[-RESULTS_LISTED:]
        lists = publication.published(certificates, self.call("intake", "list_items"), violations)
        return web.page("results.html", lists=lists, sections=publication.SECTIONS, tenant=tenant or "",
                        tenants=all_tenants())

    @http("GET", "/rating")  # type: ignore[untyped-decorator]
    def rating_card_page(self, request: Request) -> Response:
        """每事一卡: the applicant finds their completed case by number and query code, then rates it."""
        number, code = request.args.get("number", "").strip(), request.args.get("code", "").strip()
        if not (number and code):
            return web.page("rating.html", number=number, code=code, levels=RATING_LEVELS)
        try:
            found = self.public_status(number, code)
        except NotFound:
            return web.page("rating.html", 404, number=number, code=code, levels=RATING_LEVELS,
                            error="申请号或查询码不正确。")
        return web.page("rating.html", number=number, code=code, levels=RATING_LEVELS, found=found,
                        completed=found["status"] in COMPLETED)

    @http("POST", "/rating")  # type: ignore[untyped-decorator]
    def rating_form(self, request: Request) -> Response:
        try:
            self.public_write(request)
        except Forbidden as exc:
            return web.error_page(exc)
        number, code = request.form.get("number", "").strip(), request.form.get("code", "").strip()
        level, comment = request.form.get("level", ""), request.form.get("comment", "")
        card = {"number": number, "code": code, "levels": RATING_LEVELS, "comment": comment}
        try:
            rated = self.call("supervision", "rate_case", {
                "application_number": number, "query_code": code,
                "level": int(level) if level.isdigit() else level, "comment": comment})
        except ValidationFailed as exc:
            return web.page("rating.html", 422, **card, completed=True, found={"application_number": number},
                            errors=web.field_errors(exc, {"level": "评议等级", "comment": "意见"}))
        except NotFound:
            return web.page("rating.html", 404, **card, error="申请号或查询码不正确。")
        except Conflict as exc:
            already = "rated once" in exc.fields.get("application_number", [])
            return web.page("rating.html", 409, **card, error="该办件已评议过，每件只评一次。" if already
                            else "办件尚未办结，办结后方可评议。")
        return web.page("rating.html", 201, **card, rated=rated)

    @http("GET", "/complaints")  # type: ignore[untyped-decorator]
    def complaint_page(self, request: Request) -> Response:
        return web.page("complaint.html", tenants=all_tenants(), form={}, errors={})

    @http("POST", "/complaints")  # type: ignore[untyped-decorator]
    def complaint_form(self, request: Request) -> Response:
        """网上投诉: numbered, with a query code, routed to the petition office, answered in three working days."""
        try:
            self.public_write(request)
        except Forbidden as exc:
            return web.error_page(exc)
        form = {key: request.form.get(key, "").strip()
                for key in ("tenant", "name", "mobile", "subject", "text", "case_number")}
        try:
            filed = self.call("supervision", "file_complaint", {
                "tenant": form["tenant"], "complainant": {"name": form["name"], "mobile": form["mobile"]},
                "subject": form["subject"], "text": form["text"], "case_number": form["case_number"] or None})
        except (ValidationFailed, NotFound) as exc:
            errors = (web.field_errors(exc, COMPLAINT_FIELDS) if isinstance(exc, ValidationFailed)
                      else {"受理单位": "没有这个单位"})
            return web.page("complaint.html", 422, tenants=all_tenants(), form=form, errors=errors)
        return web.page("complaint_filed.html", 201, filed=filed, form=form)

    @http("GET", "/complaints/status")  # type: ignore[untyped-decorator]
    def complaint_status_page(self, request: Request) -> Response:
        """The complainant looks their complaint up by its number and the query code it was given."""
        number, code = request.args.get("number", "").strip(), request.args.get("code", "").strip()
        if not (number and code):
            return web.page("complaint_status.html", number=number, code=code)
        try:
            found = self.call("supervision", "complaint_status", number, code)
        except NotFound:
            return web.page("complaint_status.html", 404, number=number, code=code, error="投诉编号或查询码不正确。")
        return web.page("complaint_status.html", number=number, code=code, found=found)
