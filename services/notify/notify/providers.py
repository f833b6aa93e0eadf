"""SMS providers behind one interface, chosen by ``SMS_PROVIDER`` in config.

A provider hands over one segment at a time and answers with the provider's message id, or raises
``TransientSendError`` (try again later: throttled, SMSC unreachable or gone mid-window) or
``PermanentSendError`` (never: an invalid number). Delivery receipts come back through the
``on_receipt`` callback the service gives it.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import Any, Protocol

import eventlet
from eventlet.event import Event as GreenEvent
from eventlet.semaphore import Semaphore

from notify import domain
from sunlight.contracts import mask_mobile

log = logging.getLogger(__name__)

ReceiptSink = Callable[[domain.Receipt], None]


class TransientSendError(Exception):
    """The SMSC may take the message later."""


class PermanentSendError(Exception):
    """The SMSC will never take the message (the reason says why)."""


class SmsProvider(Protocol):
    name: str

    def submit(self, recipient: str, segment: domain.Segment, reference: int) -> str:
        """Hand one segment over; return the provider's message id.

        ``reference`` is the same on every try of the same segment, so an SMSC that dedupes on
        SMPP's ``user_message_reference`` takes a resubmission after a lost answer only once.
        """

    def close(self) -> None:
        """Let go of any connection."""


class LogProvider:
    """The demo's provider: logs the message (phone masked); notify records it as sent."""

    name = "log"

    def __init__(self) -> None:
        self._counter = 0

    def submit(self, recipient: str, segment: domain.Segment, reference: int) -> str:
        self._counter += 1
        log.info("SMS to %s (%d/%d): %s", mask_mobile(recipient), segment.number, segment.count, segment.text)
        return f"log-{id(self):x}-{self._counter}"

    def close(self) -> None:
        return None


class SmppProvider:
    """SMPP 3.4 over one bound transceiver session (smpplib), shared by every worker of the process.

    One green thread reads every PDU (submit_sm_resp, deliver_sm receipts, enquire_link); workers
    send submit_sm and wait for their own response by sequence number. A lost connection fails every
    waiting submit as transient and the next submit binds again.

    ``window`` is the session's window: at most that many submit_sm await their answer at once, however
    many workers submit (an SMSC throttles a client that overruns the window it granted). The service's
    workers can then outnumber it, so storing and recording messages overlaps with the SMSC's answers.
    """

    name = "smpp"

    def __init__(self, *, host: str, port: int, system_id: str, password: str, source_addr: str,
                 on_receipt: ReceiptSink, timeout: float = 10.0, window: int = 10) -> None:
        if window < 1:
            raise ValueError(f"SMPP window must be at least 1, not {window}")
        self.host, self.port = host, port
        self.system_id, self.password, self.source_addr = system_id, password, source_addr
        self.on_receipt = on_receipt
        self.timeout = timeout
        self._client: Any = None
        self._bind_lock = Semaphore(1)
        self._write_lock = Semaphore(1)
        self._window = Semaphore(window)
        self._waiting: dict[int, GreenEvent] = {}
        self._reader: Any = None

    def submit(self, recipient: str, segment: domain.Segment, reference: int) -> str:
        import smpplib.smpp
        from smpplib import consts

        with self._window:  # a slot first: the session may be bound anew meanwhile
            client = self._bound()
            pdu = smpplib.smpp.make_pdu(
                "submit_sm", client=client,
                source_addr_ton=consts.SMPP_TON_ALNUM, source_addr_npi=consts.SMPP_NPI_UNK,
                source_addr=self.source_addr,
                dest_addr_ton=consts.SMPP_TON_INTL, dest_addr_npi=consts.SMPP_NPI_ISDN,
                destination_addr=recipient,
                short_message=segment.payload, data_coding=domain.UCS2, esm_class=segment.esm_class,
                registered_delivery=consts.SMPP_SMSC_DELIVERY_RECEIPT_BOTH,
                user_message_reference=reference % 65536,
            )
            response = self._exchange(client, pdu)
        if response is None:
            self._drop("no submit_sm_resp in time")
            raise TransientSendError("no answer from the SMSC in time")
        if isinstance(response, Exception):
            raise TransientSendError(str(response))
        status = int(response.status)
        if status != 0:
            reason = f"SMSC refused (0x{status:08X}) {consts.DESCRIPTIONS.get(status, 'unknown status')}"
            if domain.is_transient(status):
                raise TransientSendError(reason)
            raise PermanentSendError(reason)
        message_id = response.message_id
        return message_id.decode("ascii") if isinstance(message_id, bytes) else str(message_id)

    def _exchange(self, client: Any, pdu: Any) -> Any:
        """Send one PDU and wait for its answer (None when none came in time)."""
        answer = GreenEvent()
        self._waiting[pdu.sequence] = answer
        try:
            with self._write_lock:
                client.send_pdu(pdu)
            return answer.wait(self.timeout)
        except Exception as exc:  # smpplib's ConnectionError / PDUError: the line went away
            self._drop(f"send failed: {exc}")
            raise TransientSendError(f"SMSC unreachable: {exc}") from exc
        finally:
            self._waiting.pop(pdu.sequence, None)

    def close(self) -> None:
        client = self._client
        if client is None:
            return
        self._client = None
        try:
            with self._write_lock:
                import smpplib.smpp
                client.send_pdu(smpplib.smpp.make_pdu("unbind", client=client))
        except Exception:  # noqa: BLE001 - closing anyway
            log.debug("unbind failed; closing the socket", exc_info=True)
        client.disconnect()
        if self._reader is not None:
            self._reader.kill()

    def _bound(self) -> Any:
        import smpplib.client

        with self._bind_lock:
            if self._client is not None:
                return self._client
            client = smpplib.client.Client(self.host, self.port, timeout=self.timeout,
                                           allow_unknown_opt_params=True, logger_name="notify.smpp")
            try:
                client.connect()
                # no Nagle: a submit_sm written while the last deliver_sm_resp awaits its ACK would otherwise
                # wait for the SMSC's delayed ACK (up to 40 ms on Linux) before it leaves
                client._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # noqa: SLF001
                client.bind_transceiver(system_id=self.system_id, password=self.password)
            except Exception as exc:  # refused, reset, bind failure: all mean "not now"
                if client._socket is not None:  # noqa: SLF001 - smpplib has no public "is connected"
                    client.disconnect()
                raise TransientSendError(f"cannot bind to SMSC {self.host}:{self.port}: {exc}") from exc
            log.info("bound to SMSC %s:%s as %s", self.host, self.port, self.system_id)
            self._client = client
            self._reader = eventlet.spawn(self._read_forever, client)
            return client

    def _read_forever(self, client: Any) -> None:
        from smpplib import smpp

        while self._client is client:
            try:
                pdu = client.read_pdu()
            except TimeoutError:
                self._send_quietly(client, smpp.make_pdu("enquire_link", client=client))
                continue
            except Exception as exc:  # noqa: BLE001 - any read failure ends this session
                if self._client is client:
                    self._drop(f"connection lost: {exc}")
                return
            if pdu.command == "submit_sm_resp":
                waiter = self._waiting.get(pdu.sequence)
                if waiter is not None and not waiter.ready():
                    waiter.send(pdu)
            elif pdu.command == "deliver_sm":
                # recording a receipt may wait for its own submit to be recorded: never with the reader,
                # or every submit_sm_resp in the window waits behind it
                eventlet.spawn_n(self._receipt, client, pdu)
            elif pdu.command == "enquire_link":
                self._send_quietly(client, _answer_to(pdu, "enquire_link_resp", client))
            elif pdu.command == "unbind":
                self._send_quietly(client, _answer_to(pdu, "unbind_resp", client))
                self._drop("SMSC unbound")
                return
            elif pdu.command == "generic_nack":
                waiter = self._waiting.get(pdu.sequence)
                if waiter is not None and not waiter.ready():
                    waiter.send(pdu)
            else:
                log.debug("ignoring %s from SMSC", pdu.command)

    def _receipt(self, client: Any, pdu: Any) -> None:
        status = 0
        if int(pdu.esm_class or 0) & 0x04:
            raw = pdu.short_message or b""
            text = raw.decode("ascii", errors="replace") if isinstance(raw, bytes) else str(raw)
            try:
                self.on_receipt(domain.parse_receipt(text))
            except Exception:  # noqa: BLE001 - the SMSC redelivers a receipt we did not take
                log.exception("could not record delivery receipt %r", text[:100])
                status = 0x08  # ESME_RSYSERR: the SMSC keeps it and tries again
        self._send_quietly(client, _answer_to(pdu, "deliver_sm_resp", client, status=status))

    def _send_quietly(self, client: Any, pdu: Any) -> None:
        try:
            with self._write_lock:
                client.send_pdu(pdu)
        except Exception as exc:  # noqa: BLE001 - the reader notices the broken line next
            log.warning("could not send %s: %s", pdu.command, exc)

    def _drop(self, reason: str) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        log.warning("SMPP session dropped: %s", reason)
        for waiter in list(self._waiting.values()):
            if not waiter.ready():
                waiter.send(ConnectionError(reason))
        try:
            client.disconnect()
        except Exception:  # noqa: BLE001 - already broken
            log.debug("disconnect after drop failed", exc_info=True)


def _answer_to(request: Any, command: str, client: Any, status: int = 0) -> Any:
    from smpplib import smpp

    answer = smpp.make_pdu(command, client=client, status=status)
    answer.sequence = request.sequence  # smpplib ignores sequence= when building a PDU
    return answer


def provider_from(settings: dict[str, Any], on_receipt: ReceiptSink) -> SmsProvider:
    """The configured provider; an unknown name is a configuration error."""
    name = str(settings.get("SMS_PROVIDER", "log"))
    if name == "log":
        return LogProvider()
    if name == "smpp":
        return SmppProvider(
            host=str(settings.get("SMPP_HOST", "127.0.0.1")), port=int(settings.get("SMPP_PORT", 2775)),
            system_id=str(settings.get("SMPP_SYSTEM_ID", "sunlight")),
            password=str(settings.get("SMPP_PASSWORD") or ""),
            source_addr=str(settings.get("SMPP_SOURCE_ADDR", "106900")),
            on_receipt=on_receipt, timeout=float(settings.get("SMPP_TIMEOUT_SECONDS", 10)),
            window=int(settings.get("SMPP_WINDOW", 10)),
        )
    raise ValueError(f"unknown SMS_PROVIDER {name!r} (supported: log, smpp)")
