"""Supervision's rules, pure Python: the audit chain, the clocks and their lights."""

from supervision.domain.audit import (
    GENESIS,
    AuditEntry,
    Head,
    Verification,
    append,
    canonical,
    chain_hash,
    verify,
    without_credentials,
)

__all__ = ["GENESIS", "AuditEntry", "Head", "Verification", "append", "canonical", "chain_hash", "verify",
           "without_credentials"]
