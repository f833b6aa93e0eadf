"""Rows a batch reads ahead for every case it touches, kept for its own transaction.

Reconciling a case reads its stage rows and open violations; a batch of events touches many cases, and
reads them for all at once (one statement each instead of one per case). Each case's share is handed out
once: the reconcile that takes it writes those very rows, so a second one in the same transaction reads
the database again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def keep(session: Session, name: str, by_case: dict[str, Any]) -> None:
    """Keep ``by_case`` (case number -> its rows, empty when it has none) for this transaction, as ``name``."""
    session.info[name] = (session.get_transaction(), by_case)


def take(session: Session, name: str, case_number: str) -> Any | None:
    """The case's rows kept as ``name`` in this transaction, once; None when none were read ahead for it."""
    kept = session.info.get(name)
    if kept is None or kept[0] is not session.get_transaction():
        return None
    return kept[1].pop(case_number, None)
