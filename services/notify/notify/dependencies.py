"""The SMS gateway a notify worker sends through: one provider per process, receipts recorded as they come."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import eventlet
from nameko import config
from nameko.extensions import DependencyProvider

from notify import delivery, domain
from notify.providers import SmsProvider, provider_from
from sunlight.db import Database

log = logging.getLogger(__name__)
RECEIPT_WAIT_SECONDS = 3.0  # a receipt can overtake the recording of its own submit


class SmsGateway(DependencyProvider):  # type: ignore[misc]
    """Gives workers the configured provider (``SMS_PROVIDER``); writes delivery receipts to the database."""

    def setup(self) -> None:
        self.provider: SmsProvider = provider_from(dict(config), self._on_receipt)

    def _store(self) -> Any:
        for extension in self.container.dependencies:
            if isinstance(extension, Database):
                return extension.store
        raise RuntimeError("SmsGateway needs the service's Database dependency")

    def _on_receipt(self, receipt: domain.Receipt) -> None:
        store = self._store()
        waited = 0.0
        while not delivery.record_receipt(store, receipt, datetime.now(UTC)):
            if waited >= RECEIPT_WAIT_SECONDS:
                log.warning("delivery receipt for unknown SMSC id %s (%s) ignored", receipt.provider_id, receipt.stat)
                return
            eventlet.sleep(0.1)
            waited += 0.1

    def stop(self) -> None:
        self.provider.close()

    def get_dependency(self, worker_ctx: Any) -> SmsProvider:
        return self.provider
