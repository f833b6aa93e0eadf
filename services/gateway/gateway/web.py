"""Server-rendered pages in Chinese (Jinja2, autoescaped): how the portal and the staff inbox look."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from nameko.exceptions import RpcTimeout, UnknownService
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Request, Response

from gateway.errors import flat_fields
from gateway.reasons import in_chinese
from sunlight.calendar import SHANGHAI
from sunlight.errors import Conflict, Forbidden, NotFound, ValidationFailed
from sunlight.tenants import department_name, tenant_name

ROLE_NAMES = {"applicant": "申请人", "clerk": "受理员", "reviewer": "审核员", "leader": "审批领导",
              "supervisor": "监察员", "inspector": "巡查员", "admin": "管理员"}
#: the roles a post names (tenant/department/role) beyond the users' roles, as the process definitions use them
POST_ROLE_NAMES = {**ROLE_NAMES, "chief": "科长", "head": "负责人", "director": "局长", "deputy-director": "副局长",
                   "registrar": "登记员", "approver": "审批人", "verifier": "核查员", "surveyor": "测量员",
                   "valuer": "评估员", "cashier": "收费员", "reviewer-b": "审核员（B角）", "clerk-b": "受理员（B角）"}
STATUS_NAMES = {"accepted": "已受理，正在分送", "open": "办理中", "approved": "已办结（准予许可）",
                "rejected": "已办结（不予许可）", "returned": "已退回", "suspended": "已中止", "withdrawn": "已撤回"}
LIGHT_NAMES = {"prompt": "预警", "yellow": "黄牌", "red": "红牌", "none": "正常", "green": "正常", "done": "已办结"}
STAGE_NAMES = {"accept": "受理", "handle": "审核", "review": "复核", "approve": "审批", "issue": "制证",
               "co-review": "会审", "meeting": "网上会办", "survey": "踏勘"}
FIELD_NAMES = {"applicant.name": "申请人名称", "applicant.id_number": "证件号码", "applicant.mobile": "手机号码",
               "applicant.kind": "申请人类型",
               # the staff pages' forms: urging (督办) and the delay reason (延期说明)
               "working_days": "限办工作日数", "note": "督办意见", "reason": "延期说明"}

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(["html"]),
)

def remaining(task: dict[str, Any]) -> str:
    """Working time left as a clerk reads it: 剩余 3 小时 20 分, or 已超期 1 小时 5 分."""
    seconds = float(task.get("remaining_working_seconds", 0))
    minutes = int(abs(seconds) // 60)
    text = f"{minutes // 60} 小时 {minutes % 60} 分"
    return f"已超期 {text}" if seconds < 0 else f"剩余 {text}"


def yuan(fen: int) -> str:
    """Fees are kept in fen: 55000 → 550.00."""
    return f"{fen // 100}.{fen % 100:02d}"


def local(instant: Any) -> str:
    """An ISO instant (stored in UTC) as office time reads it: 2026-11-04 17:00 (Asia/Shanghai)."""
    if not instant:
        return ""
    try:
        parsed = datetime.fromisoformat(str(instant))
    except ValueError:
        return str(instant)
    if parsed.tzinfo is None:
        return parsed.strftime("%Y-%m-%d %H:%M")
    return parsed.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


TEMPLATES.filters["local"] = local


def post_name(post: str, names: dict[str, str] | None = None) -> str:
    """A post (tenant/department/role) as people call it: its registered name (审批科审核岗), else its
    department's and role's Chinese names (审批科 · 审核员); anything else shows as written."""
    if names and names.get(post):
        return names[post]
    parts = post.split("/")
    if len(parts) < 3:
        return post
    return f"{department_name(parts[0], parts[1])} · {POST_ROLE_NAMES.get(parts[2], parts[2])}"


def pretty(payload: Any) -> str:
    """An event payload as readable JSON, Chinese as written; the template escapes it like any text."""
    return json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True, default=str)


def page(template: str, status: int = 200, **context: Any) -> Response:
    html = TEMPLATES.get_template(template).render(
        role_names=ROLE_NAMES, status_names=STATUS_NAMES, stage_names=STAGE_NAMES, light_names=LIGHT_NAMES,
        remaining=remaining, yuan=yuan, pretty=pretty, department_name=department_name, tenant_name=tenant_name,
        post_name=post_name,
        **{"who": None, **context})
    return Response(html, status=status, mimetype="text/html")


def redirect(location: str) -> Response:
    return Response("", status=303, headers={"Location": location})


def application_from_form(request: Request, item_code: str) -> dict[str, Any]:
    """The API's application from the portal's form: each uploaded file becomes its sha256."""
    form = request.form
    materials = {
        name.removeprefix("material:"): _digest(upload)
        for name, upload in request.files.items()
        if name.startswith("material:") and upload.filename
    }
    return {"item_code": item_code, "channel": "online", "materials": materials,
            "applicant": {key: form.get(key, "").strip() for key in ("name", "kind", "id_number", "mobile")}}


def _digest(upload: FileStorage) -> dict[str, Any]:
    content = upload.read()
    return {"sha256": hashlib.sha256(content).hexdigest(), "size_bytes": len(content)}


def field_names(item: dict[str, Any]) -> dict[str, str]:
    """Error fields (materials.parcel-map) in the words of the page (宗地图)."""
    return {**FIELD_NAMES, **{f"materials.{m['code']}": m["name"] for m in item.get("materials", [])}}


def field_errors(exc: ValidationFailed, names: dict[str, str]) -> dict[str, str]:
    """A service's field errors in the page's words: {"手机号码": "格式不正确"}; the API keeps the English."""
    return {names.get(field, field): "；".join(in_chinese(reason) for reason in reasons)
            for field, reasons in flat_fields(exc.to_dict().get("fields") or {}).items()}


#: how a page shows a service's typed error: status and the Chinese words before the message
PAGE_ERRORS: tuple[tuple[type[Exception], int, str], ...] = (
    (ValidationFailed, 422, "填写有误"), (NotFound, 404, "未找到"), (Forbidden, 403, "无权访问"),
    (Conflict, 409, "无法办理"),
    (UnknownService, 503, "服务暂不可用，请稍后再试"), (RpcTimeout, 503, "服务暂不可用，请稍后再试"),
)


def error_page(exc: Exception, **context: Any) -> Response:
    """A typed error as a page; anything else is not ours to word and propagates (logged, 500)."""
    for kind, status, words in PAGE_ERRORS:
        if isinstance(exc, kind):
            detail = "" if status == 503 else f"：{_detail(exc)}"
            return page("message.html", status, error=f"{words}{detail}", **context)
    raise exc


def _detail(exc: Exception) -> str:
    """A field error as the page words it (限办工作日数：应为整数); any other error as the service said it."""
    if isinstance(exc, ValidationFailed) and exc.to_dict().get("fields"):
        return "；".join(f"{name}：{reason}" for name, reason in field_errors(exc, FIELD_NAMES).items())
    return str(exc)
