"""The query code sealed for notify (sunlight.seals): only the same key opens it, for the same application."""

from __future__ import annotations

import base64

import pytest

from sunlight import seals

SECRET = b"intake and notify"
NUMBER = "GS-2026-000001"
CODE = "482913"


def test_the_code_opens_with_the_key_for_its_own_application() -> None:
    sealed = seals.seal(SECRET, NUMBER, CODE)
    assert sealed.startswith("v1.")
    assert seals.unseal(SECRET, NUMBER, sealed) == CODE


def test_the_same_code_sealed_twice_looks_different() -> None:
    """A fresh nonce each time: two applications with the same code cannot be matched on the broker."""
    assert seals.seal(SECRET, NUMBER, CODE) != seals.seal(SECRET, NUMBER, CODE)


@pytest.mark.parametrize(("secret", "number", "reason"), [
    (b"an inspector's guess", NUMBER, "does not open with this key"),
    (SECRET, "GS-2026-000002", "does not open with this key for this application"),  # moved to another case
    (b"", NUMBER, "no QUERY_CODE_SEAL_KEY"),
])
def test_another_key_another_application_or_no_key_does_not_open_it(secret: bytes, number: str, reason: str) -> None:
    sealed = seals.seal(SECRET, NUMBER, CODE)
    with pytest.raises(seals.SealBroken, match=reason):
        seals.unseal(secret, number, sealed)


def test_a_seal_altered_on_the_way_does_not_open() -> None:
    raw = bytearray(base64.urlsafe_b64decode(seals.seal(SECRET, NUMBER, CODE)[3:]))
    raw[-1] ^= 1
    with pytest.raises(seals.SealBroken, match="does not open"):
        seals.unseal(SECRET, NUMBER, "v1." + base64.urlsafe_b64encode(bytes(raw)).decode())


@pytest.mark.parametrize(("sealed", "reason"), [
    ("482913", "unknown seal version"),
    ("v2.AAAA", "unknown seal version 'v2'"),
    ("v1.not base64!", "not base64"),
    ("v1.AAAA", "too short"),
])
def test_what_is_not_a_seal_is_refused_by_name(sealed: str, reason: str) -> None:
    with pytest.raises(seals.SealBroken, match=reason):
        seals.unseal(SECRET, NUMBER, sealed)
