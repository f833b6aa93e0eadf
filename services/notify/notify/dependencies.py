"""The SMS gateway a notify worker sends through: one provider per process, receipts recorded as they come."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from nameko import config
from nameko.extensions import DependencyProvider

from notify import delivery, domain
from notify.providers import SmsProvider, provider_from
from notify.receipts import ReceiptBatcher
from notify.records import Sent
from sunlight.batching import Batcher, WriteBatcher
from sunlight.db import store_of

log = logging.getLogger(__name__)
# a receipt can overtake the recording of its own submit: a message's parts are recorded once its last part
# is taken, each submit waiting up to SMPP_TIMEOUT_SECONDS; waiting costs one query per batch, not a thread each
RECEIPT_WAIT_SECONDS = 30.0


class SmsGateway(DependencyProvider):  # type: ignore[misc]
    """Gives workers the configured provider (``SMS_PROVIDER``); writes delivery receipts to the database."""

    def setup(self) -> None:
        self.provider: SmsProvider = provider_from(dict(config), self._on_receipt)
        self.receipts = ReceiptBatcher(self._record, wait=RECEIPT_WAIT_SECONDS)

    def _on_receipt(self, receipt: domain.Receipt) -> None:
        self.receipts.record(receipt)

    def _record(self, receipts: list[domain.Receipt], now: datetime) -> list[bool]:
        return delivery.record_receipts(store_of(self.container), receipts, now)

    def stop(self) -> None:
        self.provider.close()

    def get_dependency(self, worker_ctx: Any) -> SmsProvider:
        return self.provider


class MessageStore(DependencyProvider):  # type: ignore[misc]
    """Gives workers ``store(message)``: the messages of the events handled meanwhile, stored in one transaction.

    Events come in bursts (a case's four co-review tasks are created together, each with its staff SMS);
    stored alone, each message cost a transaction of its own. The unique (event, recipient, template) is
    still the rule that stores a message once.
    """

    def setup(self) -> None:
        self.batcher: Batcher[delivery.NewMessage, delivery.Claim | None] = Batcher(self._write)

    def _write(self, batch: Sequence[delivery.NewMessage]) -> list[delivery.Claim | None]:
        return delivery.store_messages(store_of(self.container), batch)

    def get_dependency(self, worker_ctx: Any) -> Callable[[delivery.NewMessage], delivery.Claim | None]:
        return self.batcher.submit


class SentLog(DependencyProvider):  # type: ignore[misc]
    """Gives workers ``record(sent)``: the 'sent' of the messages submitted meanwhile, written in one transaction.

    Every message passes here once; written alone, each cost a transaction and a publish of its own.
    """

    def setup(self) -> None:
        self.batcher: WriteBatcher[Sent] = WriteBatcher(self._write)

    def _write(self, batch: Sequence[Sent]) -> None:
        delivery.record_sent(store_of(self.container), batch)

    def get_dependency(self, worker_ctx: Any) -> delivery.Recorder:
        return self.batcher.submit
