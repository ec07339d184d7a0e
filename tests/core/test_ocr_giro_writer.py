"""The OCR Giro writer (the sandbox bank's and the demo's incoming files): what it writes, the
reader reads back — every amount, KID and total — and what it cannot write it refuses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paybot.core.bankfiles.ocr_giro import read_ocr_giro
from paybot.core.bankfiles.ocr_giro_writer import OcrPayment, write_ocr_giro
from paybot.core.errors import ValidationFailed

ACCOUNT = "15031234567"

payments = st.lists(
    st.builds(
        OcrPayment,
        amount=st.integers(min_value=1, max_value=10**12).map(lambda ore: Decimal(ore) / 100),
        kid=st.text("0123456789", min_size=2, max_size=25),
    ),
    min_size=1,
    max_size=30,
)


@given(payments, st.dates(min_value=date(2000, 1, 1), max_value=date(2068, 12, 31)))
def test_what_is_written_reads_back(written: list[OcrPayment], settled: date) -> None:
    data = write_ocr_giro(written, account=ACCOUNT, settled=settled)
    header, read = read_ocr_giro("demo.ocr", data)
    got = list(read)
    assert header.accounts == (ACCOUNT,)
    assert [(p.amount, p.kid, p.account, p.payment_date) for p in got] == [
        (w.amount, w.kid, ACCOUNT, settled) for w in written
    ]
    assert not any(p.reversal for p in got)


@pytest.mark.parametrize(
    ("wrong", "field"),
    [
        (OcrPayment(Decimal("0"), "12345678903"), "amount"),
        (OcrPayment(Decimal("1.001"), "12345678903"), "amount"),
        (OcrPayment(Decimal("10"), "12A45"), "kid"),
        (OcrPayment(Decimal("10"), "1" * 26), "kid"),
    ],
)
def test_what_cannot_be_written_is_refused(wrong: OcrPayment, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        write_ocr_giro([wrong], account=ACCOUNT, settled=date(2026, 12, 3))
    assert field in refused.value.errors
