"""A mainland mobile number (手机号码): one rule for intake, notify, supervision, the gateway and the events.

Five copies of the pattern had drifted apart, and the ``^…$`` ones (marshmallow's ``Regexp`` matches from
the start only) let ``"13800000000\\n"`` through: here a number is the whole text or it is not one.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError, fields

MOBILE = re.compile(r"1[3-9][0-9]{9}")
REASON = "not a mainland mobile number (11 digits starting 13-19)"


def is_mobile(text: object) -> bool:
    """11 digits starting 13-19, and nothing else."""
    return isinstance(text, str) and MOBILE.fullmatch(text) is not None


def _refuse_unless_mobile(text: str) -> None:
    if not is_mobile(text):
        raise ValidationError(REASON)


def mobile_field(**kwargs: Any) -> fields.String:
    """A required marshmallow field holding a mobile number, refused with ``REASON`` otherwise."""
    return fields.String(required=True, validate=_refuse_unless_mobile, **kwargs)
