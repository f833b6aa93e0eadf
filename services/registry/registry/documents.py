"""The printable page of a certificate or permit: number, holder, parcel and verification code."""

from __future__ import annotations

from html import escape
from string import Template

from sqlalchemy.orm import Session

from registry.models import CertificateRow, ParcelRow
from sunlight.calendar import SHANGHAI
from sunlight.tenants import tenant

TITLES = {"title": "不动产权证书", "permit": "行政许可证"}

PAGE = Template("""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>$number</title>
<style>
 body { font-family: "SimSun", serif; margin: 2cm; }
 h1 { text-align: center; letter-spacing: .3em; }
 table { border-collapse: collapse; width: 100%; }
 th, td { border: 1px solid #000; padding: .4em .8em; text-align: left; }
 th { width: 8em; }
 @media print { .noprint { display: none; } }
</style></head>
<body>
<h1>$heading</h1>
<p class="number">$number</p>
<table>
<tr><th>权利人</th><td>$holder</td></tr>
<tr><th>事项</th><td>$item</td></tr>
<tr><th>项目代码</th><td>$project</td></tr>
$parcel_rows
<tr><th>发证机关</th><td>$office</td></tr>
<tr><th>发证日期</th><td>$issued</td></tr>
<tr><th>状态</th><td>$status</td></tr>
</table>
<p class="verification">核验码：<strong>$code</strong>（凭证号与核验码可在公开查询中核验真伪）</p>
</body></html>
""")

PARCEL_ROWS = Template("""<tr><th>宗地代码</th><td>$code</td></tr>
<tr><th>坐落</th><td>$location</td></tr>
<tr><th>面积</th><td>$area 平方米</td></tr>
<tr><th>用途</th><td>$land_use</td></tr>
<tr><th>权利性质</th><td>$right_type</td></tr>
<tr><th>使用期限</th><td>$term</td></tr>""")

RIGHT_TYPES = {"allocated": "划拨", "granted": "出让", "leased": "租赁"}
STATUSES = {"current": "有效", "superseded": "已注销（已换发新证）"}


def render_certificate(session: Session, row: CertificateRow) -> str:
    """The certificate's page as HTML, ready to print (every value escaped)."""
    parcel = session.get(ParcelRow, row.parcel_code) if row.parcel_code else None
    parcel_rows = ""
    if parcel is not None:
        parcel_rows = PARCEL_ROWS.substitute(
            code=escape(parcel.code), location=escape(parcel.location), area=f"{parcel.area_m2:,.2f}",
            land_use=escape(parcel.land_use), right_type=RIGHT_TYPES.get(parcel.right_type, parcel.right_type),
            term=f"{parcel.term_years} 年" if parcel.term_years else "—",
        )
    return PAGE.substitute(
        heading=TITLES.get(row.kind, "证书"),
        number=escape(row.number),
        holder=escape(row.holder_name),
        item=escape(row.item_name),
        project=escape(row.project_code or "—"),
        parcel_rows=parcel_rows,
        office=escape(tenant(row.tenant).name),
        issued=row.issued_at.astimezone(SHANGHAI).strftime("%Y年%m月%d日"),
        status=STATUSES.get(row.status, row.status),
        code=escape(row.verification_code),
    )
