"""Read-only entrypoints: the discipline-inspection view (纪检监察) across tenants, audit trails, the chain check.

A mixin of SupervisionService (nameko collects entrypoints from base classes). service.py imports this
module, not the class, so that ``nameko run supervision.service`` does not take it for a service.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from sqlalchemy import select

from sunlight.db import Database
from sunlight.errors import NotFound, SunlightError
from sunlight.rpc import rpc
from supervision import audit_log, watch
from supervision.models import AuditRecord, CaseClockRow, LightRow, ViolationRow


class InspectionEntrypoints:
    """What an inspector reads; nothing here writes."""

    db: Database

    def _statistics(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        raise NotImplementedError  # SupervisionService's

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def inspect_cases(self) -> list[dict[str, Any]]:
        """Every case of every tenant with its state, lights and violations. Reads only."""
        with self.db.read() as session:
            lit: dict[str, list[dict[str, Any]]] = {}
            for light in session.scalars(select(LightRow).order_by(LightRow.id)):
                lit.setdefault(light.case_number, []).append({"target": light.target, "level": light.level,
                                                              "post": light.post})
            broken: dict[str, list[dict[str, Any]]] = {}
            for row in session.scalars(select(ViolationRow).order_by(ViolationRow.id)):
                broken.setdefault(row.case_number, []).append(watch.violation_view(row))
            return [{"case_number": row.case_number, "kind": row.kind, "tenant": row.tenant, "item_code": row.item_code,
                     "state": row.state, "deadline": iso(row.deadline), "lights": lit.get(row.case_number, []),
                     "violations": broken.get(row.case_number, [])}
                    for row in session.scalars(select(CaseClockRow).order_by(CaseClockRow.case_number))]

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def inspect_case_trail(self, case_number: str) -> list[dict[str, Any]]:
        """A case's (or complaint's) full audit trail with every event's body. Reads only."""
        with self.db.read() as session:
            rows = session.scalars(select(AuditRecord).where(AuditRecord.case_number == str(case_number))
                                   .order_by(AuditRecord.seq)).all()
            if not rows:
                raise NotFound(f"no case {case_number}", {"case_number": ["unknown"]})
            return [{"seq": r.seq, "event_type": r.event_type, "source": r.source, "occurred_at": r.occurred_at,
                     "payload": json.loads(r.body).get("payload"), "hash": r.hash} for r in rows]

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def inspect_violations(self) -> list[dict[str, Any]]:
        """Every violation across tenants. Reads only."""
        with self.db.read() as session:
            rows = session.scalars(select(ViolationRow).order_by(ViolationRow.id))
            return [watch.violation_view(row) for row in rows]

    @rpc(expected_exceptions=SunlightError)  # type: ignore[untyped-decorator]
    def inspect_statistics(self) -> list[dict[str, Any]]:
        """Statistics across tenants, all time. Reads only."""
        return self._statistics({})

    @rpc  # type: ignore[untyped-decorator]
    def verify_audit_chain(self) -> dict[str, Any]:
        """Recompute the whole chain; name the first broken record if any."""
        with self.db.read() as session:
            return asdict(audit_log.verify_chain(session))

    @rpc  # type: ignore[untyped-decorator]
    def case_audit_trail(self, case_number: str) -> list[dict[str, Any]]:
        """Every recorded event of one case, in order."""
        with self.db.read() as session:
            rows = session.scalars(
                select(AuditRecord).where(AuditRecord.case_number == case_number).order_by(AuditRecord.seq)
            ).all()
            return [{"seq": r.seq, "event_type": r.event_type, "source": r.source,
                     "occurred_at": r.occurred_at, "hash": r.hash} for r in rows]


def iso(value: Any) -> str | None:
    """A datetime as ISO 8601, None kept."""
    return None if value is None else value.isoformat()
