"""A fake SMSC on localhost that speaks real SMPP 3.4 (PDUs built and parsed by smpplib).

Run as its own process (``python -m tests.fake_smsc --port P --journal FILE``) so a test can kill
it mid-run and start it again. It answers bind_transceiver, submit_sm (with a message id),
enquire_link and unbind; it sends a deliver_sm delivery receipt for every accepted submit_sm that
asks for one. A resubmission carrying the same ``user_message_reference``, destination and octets
as one it already took is answered with the first message id and not taken again: the SMSC-side
idempotency notify relies on after a lost submit_sm_resp (not every real SMSC offers it).
It refuses with ESME_RTHROTTLED (the first ``--throttle`` submits) and ESME_RINVDSTADR (a
destination that is not a mainland mobile, or starts with ``--invalid-prefix``); a destination
starting with ``--undeliverable-prefix`` is accepted but its receipt says UNDELIV.

Faults (tests/faults/test_smsc_faults.py): ``--answer-delay`` answers every submit that late (a slow
SMSC), ``--syserr N`` refuses the first N submits with ESME_RSYSERR (a system error), and
``--hang-up N`` takes the first N submits and then drops the line without answering (the worst
disconnect: the message is taken, the ESME does not know it).

Every accepted submit_sm is appended to the journal (JSON lines, flushed before the answer), so a
test can count what really reached the SMSC, across restarts.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from smpplib import consts, smpp

ROOT = Path(__file__).resolve().parent.parent
MOBILE = re.compile(r"^1[3-9]\d{9}$")


class _Sequence:
    def __init__(self) -> None:
        self._value = 0
        self._lock = threading.Lock()

    @property
    def sequence(self) -> int:
        return self._value

    def next_sequence(self) -> int:
        with self._lock:
            self._value += 1
            return self._value


class Smsc(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, options: argparse.Namespace) -> None:
        super().__init__(("127.0.0.1", port), Session)
        self.options = options
        self.throttle_left = options.throttle
        self.syserr_left = options.syserr
        self.hang_ups_left = options.hang_up
        self.lock = threading.Lock()
        # what this SMSC already took, by (destination, user_message_reference, octets): it survives a
        # restart, so an ESME that resubmits after a lost submit_sm_resp gets the first message id back
        self.accepted: dict[tuple[str, int, str], str] = {}
        if Path(options.journal).exists():
            for line in Path(options.journal).read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                if record.get("reference") is not None:
                    key = (record["destination"], record["reference"], record["short_message"])
                    self.accepted[key] = record["message_id"]

    def journal(self, record: dict[str, Any]) -> None:
        with self.lock, open(self.options.journal, "a", encoding="utf-8") as journal:
            journal.write(json.dumps(record, ensure_ascii=False) + "\n")
            journal.flush()


class Session(socketserver.BaseRequestHandler):
    server: Smsc

    def handle(self) -> None:
        self.sequence = _Sequence()
        self.write_lock = threading.Lock()
        while True:
            try:
                raw = self._read_pdu()
            except (ConnectionError, OSError):
                return
            if raw is None:
                return
            pdu = smpp.parse_pdu(raw, client=self.sequence, allow_unknown_opt_params=True)
            if pdu.command == "bind_transceiver":
                self._bind(pdu)
            elif pdu.command == "submit_sm":
                if not self._submit(pdu):
                    return  # hang up: socketserver closes the line
            elif pdu.command == "enquire_link":
                self._answer("enquire_link_resp", pdu)
            elif pdu.command == "unbind":
                self._answer("unbind_resp", pdu)
                return
            elif pdu.command in ("deliver_sm_resp", "enquire_link_resp"):
                continue
            else:
                self._answer("generic_nack", pdu, status=consts.SMPP_ESME_RINVCMDID)

    def _read_pdu(self) -> bytes | None:
        header = self._recv_exact(4)
        if header is None:
            return None
        (length,) = struct.unpack(">L", header)
        body = self._recv_exact(length - 4)
        return None if body is None else header + body

    def _recv_exact(self, size: int) -> bytes | None:
        data = b""
        while len(data) < size:
            chunk = self.request.recv(size - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _send(self, pdu: Any) -> None:
        with self.write_lock:
            self.request.sendall(pdu.generate())

    def _answer(self, command: str, request: Any, status: int = consts.SMPP_ESME_ROK, **fields: Any) -> None:
        answer = smpp.make_pdu(command, client=self.sequence, status=status, **fields)
        answer.sequence = request.sequence  # smpplib ignores sequence= when building a PDU
        self._send(answer)

    def _bind(self, pdu: Any) -> None:
        options = self.server.options
        if _text(pdu.system_id) != options.system_id or _text(pdu.password) != options.password:
            self._answer("bind_transceiver_resp", pdu, status=consts.SMPP_ESME_RBINDFAIL, system_id="fake")
            return
        self._answer("bind_transceiver_resp", pdu, system_id="fake-smsc")

    def _submit(self, pdu: Any) -> bool:
        """Take or refuse one submit_sm; False when the line is to be dropped."""
        options = self.server.options
        destination = _text(pdu.destination_addr)
        if not MOBILE.match(destination) or (options.invalid_prefix and destination.startswith(options.invalid_prefix)):
            self._answer("submit_sm_resp", pdu, status=consts.SMPP_ESME_RINVDSTADR, message_id="")
            return True
        refusal = self._refusal()
        if refusal is not None:
            self._answer("submit_sm_resp", pdu, status=refusal, message_id="")
            return True
        payload = bytes(pdu.short_message or b"")
        reference = getattr(pdu, "user_message_reference", None)
        key = (destination, int(reference), payload.hex()) if reference is not None else None
        with self.server.lock:
            message_id = self.server.accepted.get(key) if key else None
        if message_id is None:
            message_id = uuid.uuid4().hex[:16]
            self.server.journal({
                "message_id": message_id, "destination": destination, "source": _text(pdu.source_addr),
                "data_coding": pdu.data_coding, "esm_class": pdu.esm_class, "short_message": payload.hex(),
                "reference": reference, "at": datetime.now(UTC).isoformat(),
            })
            if key:
                with self.server.lock:
                    self.server.accepted[key] = message_id
        with self.server.lock:
            hang_up = self.server.hang_ups_left > 0
            self.server.hang_ups_left -= hang_up
        if hang_up:
            return False
        time.sleep(options.answer_delay)
        self._answer("submit_sm_resp", pdu, message_id=message_id)
        if pdu.registered_delivery:
            time.sleep(options.receipt_delay)
            undeliverable = options.undeliverable_prefix and destination.startswith(options.undeliverable_prefix)
            self._receipt(message_id, destination, "UNDELIV" if undeliverable else "DELIVRD")
        return True

    def _refusal(self) -> int | None:
        """The status to refuse this submit with while a throttling or system-error fault lasts."""
        with self.server.lock:
            if self.server.throttle_left > 0:
                self.server.throttle_left -= 1
                return int(consts.SMPP_ESME_RTHROTTLED)
            if self.server.syserr_left > 0:
                self.server.syserr_left -= 1
                return int(consts.SMPP_ESME_RSYSERR)
        return None

    def _receipt(self, message_id: str, destination: str, stat: str) -> None:
        stamp = datetime.now(UTC).strftime("%y%m%d%H%M")
        text = (f"id:{message_id} sub:001 dlvrd:{'001' if stat == 'DELIVRD' else '000'} submit date:{stamp} "
                f"done date:{stamp} stat:{stat} err:{'000' if stat == 'DELIVRD' else '001'} text:")
        receipt = smpp.make_pdu(
            "deliver_sm", client=self.sequence, source_addr=destination, destination_addr="106900",
            esm_class=consts.SMPP_MSGTYPE_DELIVERYACK >> 1,  # 0x04: SMSC delivery receipt
            short_message=text.encode("ascii"),
        )
        try:
            self._send(receipt)
        except OSError:
            return


def as_kept(text: str) -> str:
    """A text as a phone shows it, turned into what notify keeps once it is sent: the query code masked."""
    return re.sub(r"(查询码)([0-9A-Za-z]+)", lambda found: found[1] + "*" * len(found[2]), text)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("ascii", errors="replace")
    return "" if value is None else str(value)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--journal", required=True)
    parser.add_argument("--system-id", default="sunlight")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--throttle", type=int, default=0, help="refuse the first N submits as throttled")
    parser.add_argument("--invalid-prefix", default="")
    parser.add_argument("--undeliverable-prefix", default="")
    parser.add_argument("--receipt-delay", type=float, default=0.05)
    parser.add_argument("--answer-delay", type=float, default=0.0, help="seconds before every submit_sm_resp")
    parser.add_argument("--syserr", type=int, default=0, help="refuse the first N submits with ESME_RSYSERR")
    parser.add_argument("--hang-up", type=int, default=0, help="take the first N submits, then drop the line")
    options = parser.parse_args(argv)
    with Smsc(options.port, options) as server:
        print(f"fake SMSC listening on 127.0.0.1:{options.port}", flush=True)
        server.serve_forever()


# --- For tests: run, kill and restart the fake SMSC as a real process --------------------------------


@dataclass
class FakeSmsc:
    port: int
    journal: Path
    args: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None

    def start(self, *extra: str) -> None:
        """Start (or restart) the SMSC and wait until it accepts connections."""
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.fake_smsc", "--port", str(self.port), "--journal", str(self.journal),
             *self.args, *extra],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError("fake SMSC exited at start") from None
                time.sleep(0.05)
        raise TimeoutError("fake SMSC did not start")

    def kill(self) -> None:
        """Die at once, as a crashed SMSC or a cut line would: no unbind, no goodbye."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def received(self) -> list[dict[str, Any]]:
        """Every submit_sm the SMSC accepted, across restarts, in order."""
        if not self.journal.exists():
            return []
        text = self.journal.read_text(encoding="utf-8")
        # only whole lines: read while the SMSC appends, the last one may be half written (it is counted next time)
        return [json.loads(line) for line in text[:text.rfind("\n") + 1].splitlines() if line]

    def messages(self) -> dict[str, list[list[bytes]]]:
        """What each phone got: per destination, the parts of each message as accepted by the SMSC."""
        by_phone: dict[str, list[list[bytes]]] = {}
        open_parts: dict[tuple[str, int], list[bytes]] = {}
        for record in self.received():
            payload = bytes.fromhex(record["short_message"])
            phone = record["destination"]
            if record["esm_class"] & 0x40:
                key = (phone, payload[3])
                open_parts.setdefault(key, []).append(payload)
                if len(open_parts[key]) == payload[4]:
                    by_phone.setdefault(phone, []).append(open_parts.pop(key))
            else:
                by_phone.setdefault(phone, []).append([payload])
        return by_phone


@contextmanager
def running_smsc(journal: Path, *args: str) -> Iterator[FakeSmsc]:
    """A fake SMSC on a free port; always killed afterwards."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    smsc = FakeSmsc(port, journal, list(args))
    smsc.start()
    try:
        yield smsc
    finally:
        smsc.kill()


if __name__ == "__main__":
    main()
