"""Fuzzing the SMSC's delivery receipts (hypothesis): whatever text arrives in a deliver_sm.

A receipt as SMPP 3.4 appendix B formats it is read back field for field; anything else is refused as
"not a delivery receipt" (ValidationFailed, so the provider answers ESME_RSYSERR and the SMSC sends it
again), never with another error that would drop the SMPP session.
"""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from notify import domain
from sunlight.errors import ValidationFailed

TOKEN = st.text(alphabet=string.ascii_letters + string.digits + "-_.", min_size=1, max_size=20)
STATS = st.sampled_from(["DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "ACCEPTD", "UNKNOWN", "REJECTD", "delivrd"])


@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda raw: raw.decode("latin-1")))
def test_any_text_is_a_receipt_or_refused_as_not_one(text: str) -> None:
    try:
        receipt = domain.parse_receipt(text)
    except ValidationFailed as refused:
        assert refused.fields == {"receipt": [text[:100]]}
        return
    assert receipt.provider_id and receipt.stat == receipt.stat.upper()


# the text field repeats the first characters of the SMS, which may look like receipt fields themselves
SMS_START = st.text(max_size=20) | st.sampled_from(["id:forged stat:UNDELIV err:999", "STAT:DELIVRD", "err:"])


@given(TOKEN, STATS, st.from_regex(r"[0-9]{3}", fullmatch=True), SMS_START)
def test_an_appendix_b_receipt_reads_back_field_for_field(message_id: str, stat: str, err: str, tail: str) -> None:
    text = (f"id:{message_id} sub:001 dlvrd:001 submit date:2611271530 done date:2611271531 "
            f"stat:{stat} err:{err} text:{tail}")
    receipt = domain.parse_receipt(text)
    assert (receipt.provider_id, receipt.stat, receipt.err) == (message_id, stat.upper(), err)
    assert receipt.delivered == (stat.upper() == "DELIVRD")
