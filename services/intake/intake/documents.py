"""The printable papers the window hands over: the acceptance receipt and the one-time notice (HTML)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from html import escape
from pathlib import Path
from string import Template

from intake.domain import Receipt
from intake.items import Item
from sunlight.tenants import Tenant

TEMPLATES = Path(__file__).resolve().parent / "templates"
RECEIPT = Template((TEMPLATES / "receipt.html").read_text(encoding="utf-8"))
NOTICE = Template((TEMPLATES / "notice.html").read_text(encoding="utf-8"))
CHANNELS = {"online": "网上申报", "counter": "窗口受理"}


def receipt_html(receipt: Receipt, item: Item, office: Tenant, *, applicant_name: str, local_accepted_at: datetime
                 ) -> str:
    """The acceptance receipt (受理回执) as a page the window prints."""
    names = {m.code: m.name for m in item.materials}
    materials = "".join(f"<li>{escape(names.get(code, code))}</li>" for code in receipt.materials_received)
    fees = "".join(
        f"<tr><td>{escape(str(fee['name']))}</td><td>{int(fee['amount_fen']) / 100:.2f}</td>"
        f"<td>{escape(str(fee['basis']))}</td></tr>" for fee in receipt.fees_due
    ) or '<tr><td colspan="3">无</td></tr>'
    return RECEIPT.substitute(
        office=escape(office.name), application_number=escape(receipt.application_number),
        query_code=escape(receipt.query_code), item_name=escape(item.name), item_code=escape(item.code),
        applicant_name=escape(applicant_name), accepted_at=local_accepted_at.strftime("%Y-%m-%d %H:%M"),
        promised_date=receipt.promised_date.isoformat(), promised_days=item.promised_days,
        statutory_days=item.statutory_days, channel=CHANNELS.get(receipt.channel, receipt.channel),
        materials=materials, fees=fees, window=escape(office.window), phone=escape(office.phone),
    )


def notice_html(problems: Mapping[str, list[str]], item: Item, office: Tenant, *, applicant_name: str,
                today: date) -> str:
    """The one-time notice (一次性告知书): every missing or invalid material and field, with its reason."""
    rows = "".join(
        f"<tr><td>{n}</td><td>{escape(_label(item, where))}</td><td>{escape('；'.join(reasons))}</td></tr>"
        for n, (where, reasons) in enumerate(sorted(problems.items()), start=1)
    )
    return NOTICE.substitute(
        office=escape(office.name), applicant_name=escape(applicant_name), item_name=escape(item.name),
        item_code=escape(item.code), problems=rows, window=escape(office.window), phone=escape(office.phone),
        today=today.isoformat(),
    )


def _label(item: Item, where: str) -> str:
    kind, _, code = where.partition(".")
    if kind == "materials" and (material := item.material(code)) is not None:
        return f"材料：{material.name}"
    if kind == "form" and (field := next((f for f in item.form if f.name == code), None)) is not None:
        return f"表单：{field.label}"
    return where
