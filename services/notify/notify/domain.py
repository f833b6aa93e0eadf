"""Notify's rules: templates checked at load, rendering with the tenant's signature.

Pure Python: no provider, no database. A template may name only the fields it declares; a
message is one per (event, recipient, template), which the database enforces.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sunlight import mobiles, seals
from sunlight.calendar import WorkingCalendar
from sunlight.errors import ValidationFailed
from sunlight.payloads import CREDENTIALS


@dataclass(frozen=True)
class Template:
    key: str
    audience: str
    fields: frozenset[str]
    text: str
    essential: bool = True  # an opted-out recipient still gets essential messages


@dataclass(frozen=True)
class Rendered:
    template: str
    recipient: str
    text: str
    #: the text as staff see it and notify keeps it once sent: every credential's value masked
    shown: str = ""

    def __post_init__(self) -> None:
        if not self.shown:
            object.__setattr__(self, "shown", self.text)


def parse_templates(raw: Mapping[str, Mapping[str, object]]) -> dict[str, Template]:
    """Check every template: each ``{field}`` it names must be one it declares."""
    templates: dict[str, Template] = {}
    errors: dict[str, list[str]] = {}
    for key, spec in raw.items():
        declared = frozenset(str(f) for f in spec.get("fields", []))  # type: ignore[attr-defined]
        text = str(spec.get("text", ""))
        try:
            named = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:  # an unbalanced { or }: would fail on every send
            errors[key] = [f"not a valid template: {exc}"]
            named = set()
        if "" in named:  # {} is positional: render fills named fields only
            errors.setdefault(key, []).append("an empty placeholder {} names no field")
        unknown = sorted(named - declared - {""})
        if unknown:
            errors.setdefault(key, []).append(f"names undeclared field(s): {', '.join(unknown)}")
        if not text.strip():
            errors.setdefault(key, []).append("empty text")
        templates[key] = Template(key, str(spec.get("audience", "applicant")), declared, text,
                                  essential=bool(spec.get("essential", True)))
    if errors:
        raise ValidationFailed("SMS templates are invalid", errors)
    return templates


def render(template: Template, values: Mapping[str, str], *, signature: str, recipient: str) -> Rendered:
    """The text of one SMS, signed by the tenant, e.g. ``【杭州市国土资源局】``."""
    missing = sorted(template.fields - set(values))
    if missing:
        raise ValidationFailed(f"template {template.key} lacks values", {f: ["missing"] for f in missing})
    body = template.text.format(**{key: values[key] for key in template.fields})
    if not body.strip():
        raise ValidationFailed(f"template {template.key} rendered empty", {"text": ["empty"]})
    shown = template.text.format(**{key: mask(values[key]) if key in CREDENTIALS else values[key]
                                    for key in template.fields})
    return Rendered(template=template.key, recipient=recipient, text=f"{signature}{body}", shown=f"{signature}{shown}")


def mask(secret: object) -> str:
    """A secret as staff see it: as long as it is, every character a star."""
    return "*" * len(str(secret))


def query_code(accepted: Mapping[str, object], seal_secret: bytes) -> str | None:
    """The query code an ``application.accepted`` payload gives the acceptance SMS, or None when it gives none.

    Intake sends it sealed for notify (sunlight.seals); intakes before the seal sent it in clear, which is still
    read during an upgrade. A seal that does not open raises ``seals.SealBroken``.
    """
    sealed = accepted.get("sealed_query_code")
    if sealed:
        return seals.unseal(seal_secret, str(accepted["application_number"]), str(sealed))
    clear = accepted.get("query_code")
    return str(clear) if clear else None


# --- Chinese SMS on the wire: UCS-2, concatenated segments with a UDH header -------------------

UCS2 = 0x08  # SMPP data_coding for UCS-2 (ISO/IEC 10646)
UDHI = 0x40  # esm_class bit: short_message starts with a user data header
SINGLE_OCTETS = 140  # one SMS: 70 UCS-2 characters
SEGMENT_OCTETS = 134  # 140 less the 6-octet concatenation header: 67 characters per segment


@dataclass(frozen=True)
class Segment:
    """One submit_sm's worth of a message: the octets to send and the characters they carry."""

    number: int
    count: int
    payload: bytes
    esm_class: int
    text: str


def segments(text: str, reference: int) -> list[Segment]:
    """Split ``text`` into UCS-2 SMS: one if it fits in 70 characters, else 67-character parts.

    Every part carries the same concatenation ``reference`` (0-255), so a phone reassembles them,
    and a retry sends byte-for-byte the same parts. A character outside the BMP (two UTF-16 units)
    is never split across parts.
    """
    encoded = text.encode("utf-16-be")
    if len(encoded) <= SINGLE_OCTETS:
        return [Segment(1, 1, encoded, 0, text)]
    chunks: list[str] = []
    current, size = "", 0
    for char in text:
        width = len(char.encode("utf-16-be"))
        if size + width > SEGMENT_OCTETS:
            chunks.append(current)
            current, size = "", 0
        current, size = current + char, size + width
    chunks.append(current)
    if len(chunks) > 255:
        raise ValidationFailed("SMS too long", {"text": [f"{len(chunks)} parts; at most 255"]})
    ref = reference % 256
    return [
        Segment(i, len(chunks), bytes([5, 0, 3, ref, len(chunks), i]) + chunk.encode("utf-16-be"), UDHI, chunk)
        for i, chunk in enumerate(chunks, start=1)
    ]


def reassemble(parts: list[bytes]) -> str:
    """What a phone shows for the parts of one message (in any order): the inverse of ``segments``."""
    if len(parts) == 1 and not (len(parts[0]) > 6 and parts[0][:3] == b"\x05\x00\x03"):
        return parts[0].decode("utf-16-be")
    ordered = sorted(parts, key=lambda part: part[5])
    return "".join(part[6:].decode("utf-16-be") for part in ordered)


def valid_mobile(recipient: str) -> bool:
    """A mainland mobile number: 11 digits starting 13-19."""
    return mobiles.is_mobile(recipient)


# --- What an SMSC answer means --------------------------------------------------------------------

#: SMPP command_status values worth trying again: throttled, queue full, system error, temporary app error
TRANSIENT_STATUSES = frozenset({0x58, 0x14, 0x08, 0x64})


def is_transient(status: int) -> bool:
    """True for an SMSC refusal that may succeed later; every other refusal is final."""
    return status in TRANSIENT_STATUSES


def retry_delay(attempts: int, *, base: timedelta, cap: timedelta) -> timedelta:
    """Exponential backoff: base, 2·base, 4·base ... never more than cap."""
    delay: timedelta = base * (2 ** max(attempts - 1, 0))
    return min(delay, cap)


@dataclass(frozen=True)
class Receipt:
    """A delivery receipt (deliver_sm with esm_class 0x04) as SMPP 3.4 appendix B formats it."""

    provider_id: str
    stat: str
    err: str

    @property
    def delivered(self) -> bool:
        return self.stat == "DELIVRD"

    @property
    def final(self) -> bool:
        return self.stat in {"DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "REJECTD"}


RECEIPT_FIELD = re.compile(r"\b(id|stat|err):(\S+)", re.IGNORECASE)
RECEIPT_TEXT = re.compile(r"(?:^|\s)text:", re.IGNORECASE)


def parse_receipt(text: str) -> Receipt:
    """``id:… sub:001 dlvrd:001 submit date:… done date:… stat:DELIVRD err:000 text:…`` → Receipt."""
    # the text: field repeats the SMS's first characters, which may look like fields: never read them, and
    # of any field given twice the first counts
    fields = RECEIPT_TEXT.split(text, maxsplit=1)[0]
    found: dict[str, str] = {}
    for key, value in RECEIPT_FIELD.findall(fields):
        found.setdefault(key.lower(), value)
    if "id" not in found or "stat" not in found:
        raise ValidationFailed("not a delivery receipt", {"receipt": [text[:100]]})
    return Receipt(found["id"], found["stat"].upper(), found.get("err", ""))


# --- When a message may go ------------------------------------------------------------------------

#: staff messages that may wake someone up outside office hours
URGENT_STAFF_TEMPLATES = frozenset({"deadline_red", "case_urged"})


def send_not_before(
    template: Template, now: datetime, calendar: WorkingCalendar
) -> datetime:
    """Now, or for a non-urgent staff message outside office hours, the next opening of the office."""
    if template.audience != "staff" or template.key in URGENT_STAFF_TEMPLATES:
        return now
    tick = timedelta(microseconds=1)
    return calendar.add_working_hours(now, tick) - tick
