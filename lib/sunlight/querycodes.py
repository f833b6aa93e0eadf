"""The query code (查询码) of an application, checked without ever sending it in clear.

A query code is six digits: a million guesses at most, so a plain or salted hash of it in an event
would be undone in a second by anyone who reads the audit trail. Intake puts a keyed digest in its
``application.accepted`` event instead: HMAC-SHA256 over the application number and the code, under
``QUERY_CODE_KEY``, a secret that only intake and the gateway hold (from their environment). The
number is part of the message, so the same code on two applications gives two unrelated digests.
"""

from __future__ import annotations

import hashlib
import hmac

from nameko import config


def code_digest(key: bytes, application_number: str, query_code: str) -> str:
    """The digest intake publishes for ``query_code``; hex, 64 characters."""
    message = f"{application_number}\x00{query_code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def code_matches(key: bytes, application_number: str, query_code: str, digest: str) -> bool:
    """True when ``query_code`` is the code behind ``digest``; compared in constant time."""
    if not key or not digest:
        return False
    return hmac.compare_digest(code_digest(key, application_number, query_code), digest)


def configured_key() -> bytes:
    """``QUERY_CODE_KEY`` from the service's config; empty when unset (then no digest is made or checked)."""
    return str(config.get("QUERY_CODE_KEY") or "").encode()
