"""Fault 6: the SMSC slow, refusing with an error status, and hanging up after taking a message, mid-stream.

notify sends over real SMPP to tests.fake_smsc, waiting 2 s for each answer. While cases are driven the
SMSC is restarted (itself a dropped line) into one fault after another: every answer 3 s late, then
ESME_RSYSERR for the next submits, then the line dropped right after a submit was taken (the SMSC has
the message, notify does not know). Afterwards the books balance, and the SMSC's own journal shows
every SMS notify counts as sent taken exactly once: nothing lost, nothing sent to a phone twice.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from notify import domain
from tests.fake_smsc import as_kept
from tests.faults.books import Driver, check_books, patiently, settled
from tests.faults.conftest import FaultyStack
from tests.integration.support import query

pytestmark = [pytest.mark.fault, pytest.mark.integration]

FAKE_SMSC = True
FAULTS = {"slow": ("--answer-delay", "3"), "refusing": ("--syserr", "6"), "hanging-up": ("--hang-up", "3")}
FAULT_SECONDS = 4


def unsent(faulty: FaultyStack) -> int:
    """SMS still to go out now (staff SMS held for office hours are not due yet)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return int(query(faulty.stack, "notify", "SELECT count(*) FROM messages WHERE status NOT IN "
                     "('sent', 'delivered', 'failed') AND (not_before IS NULL OR not_before <= :now)",
                     now=now)[0][0])


def test_an_smsc_slow_refusing_and_hanging_up_loses_no_sms_and_sends_none_twice(
        faulty: FaultyStack, rpc: Any) -> None:
    smsc = faulty.smsc
    assert smsc is not None
    driver = Driver(faulty.stack).start()
    driver.wait_for_cases(1)
    for arguments in FAULTS.values():
        smsc.kill()
        smsc.start(*arguments)
        time.sleep(FAULT_SECONDS)
    smsc.kill()
    smsc.start()  # well again
    driver.wait_for_cases(len(driver.numbers) + 1)
    numbers = driver.stop()

    started = time.monotonic()
    patiently(lambda: unsent(faulty) == 0 or None, what="every SMS to be settled", timeout=90)
    drained = max(settled(faulty.stack, numbers, rpc), time.monotonic() - started)
    books = check_books(faulty.stack, numbers, rpc)

    sent = query(faulty.stack, "notify", "SELECT recipient, text FROM messages WHERE status IN ('sent', 'delivered')")
    failed = query(faulty.stack, "notify", "SELECT error FROM messages WHERE status = 'failed'")
    assert not failed, f"an SMS was given up on under a transient fault: {failed}"
    inbox = {phone: [as_kept(domain.reassemble(parts)) for parts in got] for phone, got in smsc.messages().items()}
    for message in sent:
        assert inbox.get(message.recipient, []).count(message.text) == 1, (message.recipient, message.text)
    taken = sum(len(got) for got in inbox.values())
    assert taken == len(sent), f"the SMSC took {taken} messages for {len(sent)} notify sent"
    print(f"\nRELIABILITY smsc backend={faulty.backend} cases={books['cases']} events={books['events']} "
          f"sms={len(sent)} faults={','.join(FAULTS)} {FAULT_SECONDS}s each settled-after-heal={drained:.1f}s")
