"""SMS providers behind one interface, chosen by ``SMS_PROVIDER`` in config."""

from __future__ import annotations

import logging
from typing import Protocol

from sunlight.contracts import mask_mobile

log = logging.getLogger(__name__)


class SmsProvider(Protocol):
    name: str

    def send(self, recipient: str, text: str) -> str:
        """Hand the message over; return the provider's message id."""


class LogProvider:
    """The demo's provider: logs the message (phone masked); notify records it as sent."""

    name = "log"

    def send(self, recipient: str, text: str) -> str:
        log.info("SMS to %s: %s", mask_mobile(recipient), text)
        return "log"


def provider_from(name: str) -> SmsProvider:
    """The configured provider; an unknown name is a configuration error."""
    if name == "log":
        return LogProvider()
    raise ValueError(f"unknown SMS_PROVIDER {name!r} (supported: log)")
