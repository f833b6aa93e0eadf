"""The query code (查询码) sealed for notify: it crosses the broker, but nobody else can read it.

Notify texts the applicant their query code with the acceptance SMS, so the code must reach notify.
Carried in clear in ``application.accepted``, it sat in every queue bound to intake's events, on the
broker's disk, in a dead-letter queue if one handler failed; anyone reading any of them could follow
the case as the applicant, or rate it. Intake now seals it with AES-GCM under a key only intake and
notify hold (``QUERY_CODE_SEAL_KEY``), bound to the application number: a sealed code moved to another
application does not open. Without the key, intake leaves the code out of the event and the SMS points
the applicant to the receipt (notify's ``application_received`` text).
"""

from __future__ import annotations

import base64
import binascii
import functools
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from nameko import config

VERSION = "v1"
_NONCE_BYTES = 12
_INFO = b"sunlight query code seal v1"


class SealBroken(Exception):
    """A sealed code that does not open: another key, another application, or altered on the way."""


@functools.lru_cache(maxsize=4)
def _cipher(secret: bytes) -> AESGCM:
    """The AES-256 key derived from the configured secret (any length of text: an operator's passphrase)."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret)
    return AESGCM(key)


def seal(secret: bytes, application_number: str, query_code: str) -> str:
    """``query_code`` encrypted and authenticated for ``application_number``: ``v1.<base64url>``."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _cipher(secret).encrypt(nonce, query_code.encode(), application_number.encode())
    return f"{VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def unseal(secret: bytes, application_number: str, sealed: str) -> str:
    """The query code in ``sealed``; ``SealBroken`` naming why when it does not open."""
    if not secret:
        raise SealBroken("no QUERY_CODE_SEAL_KEY to open it with")
    version, _, text = sealed.partition(".")
    if version != VERSION:
        raise SealBroken(f"unknown seal version {version!r}")
    try:
        raw = base64.urlsafe_b64decode(text.encode())
    except (binascii.Error, ValueError) as exc:
        raise SealBroken("the seal is not base64") from exc
    if len(raw) <= _NONCE_BYTES:
        raise SealBroken("the seal is too short")
    try:
        opened = _cipher(secret).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], application_number.encode())
    except InvalidTag as exc:
        raise SealBroken("the seal does not open with this key for this application") from exc
    return opened.decode()


def configured_secret() -> bytes:
    """``QUERY_CODE_SEAL_KEY`` from the service's config; empty when unset (then no code is sealed or opened)."""
    return str(config.get("QUERY_CODE_SEAL_KEY") or "").encode()
