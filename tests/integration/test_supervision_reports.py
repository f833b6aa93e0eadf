"""Supervision's reports through real processes: statistics and their CSV export from driven cases."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import pytest

from sunlight.calendar import SHANGHAI
from tools.drive import drive_one, sample_application, wait_for
from tools.stack import Stack

pytestmark = pytest.mark.integration


def test_statistics_count_a_driven_case_per_post_item_and_tenant_and_export_csv(stack: Stack, rpc: Any) -> None:
    done = drive_one(rpc, sample_application(5))
    code = done.receipt["query_code"]
    wait_for(lambda: rpc.supervision.public_status(done.number, code)["current_stage"] == "completed" or None,
             timeout=20, what="supervision to see the case completed")
    rpc.supervision.rate_case({"application_number": done.number, "query_code": code, "level": 4})

    rows = rpc.supervision.statistics({})
    tenants = [r for r in rows if r["dimension"] == "tenant"]
    assert tenants and all(r["cases_handled"] >= 1 for r in tenants)
    posts = [r for r in rows if r["dimension"] == "post"]
    assert posts and all(r["grade"] in {"优秀", "良好", "合格", "不合格"} for r in posts)
    assert any(r["ratings"]["count"] >= 1 for r in posts)
    assert all(t["p90_hours"] >= 0 for r in rows for t in r["stages"].values())
    assert rpc.supervision.statistics({"tenant": "no-such-tenant"}) == []

    today = datetime.now(SHANGHAI).date()
    this_quarter = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    table = list(csv.reader(io.StringIO(rpc.supervision.statistics_csv({"quarter": this_quarter}))))
    assert table[0][0] == "维度" and len(table) > 1
