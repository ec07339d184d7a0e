"""A file's payments are taken a chunk at a time and written in bulk (COPY on PostgreSQL): a file
whose payments of one invoice, reversal and overpayments fall across many small chunks ends as it
does taken whole, on SQLite and PostgreSQL; and the cycle collector, paused while a file is
taken, is left as it was found."""

from __future__ import annotations

import gc
from decimal import Decimal

import pytest
from sqlalchemy import Engine, select

from paybot.core.bankfiles.model import BankFileRejected
from paybot.core.vouchers import check_balanced
from paybot.services import incoming_run
from paybot.store import bulk
from paybot.store.models import IncomingPaymentRow
from paybot.store.models import Voucher as VoucherRow
from paybot.store.uow import UnitOfWork
from tests.core.test_ocr_giro import Tx
from tests.services.test_incoming import (
    KID_EXACT,
    KID_OVER,
    KID_PARTIAL,
    KID_ROUND,
    KID_UNKNOWN,
    acme,  # noqa: F401 (a fixture)
    ingest,
    ocr,
    open_amounts,
    vouchers,
)

FILE = ocr(
    Tx(30000, kid=KID_PARTIAL),  # partial: 500.00 left of F-2
    Tx(1000, kid=KID_UNKNOWN),  # unmatched
    Tx(20000, kid=KID_PARTIAL),  # partial: 300.00 left
    Tx(30000, kid=KID_PARTIAL),  # matched: F-2 closes
    Tx(125000, kid=KID_EXACT),  # matched, then reversed below
    Tx(45000, kid=KID_OVER),  # overpaid: F-3 closes, 150.00 held as credit
    Tx(9970, kid=KID_ROUND),  # matched: F-4 closes
    Tx(1000, kid=KID_OVER),  # overpaid: F-3 is paid, all of it held as credit
    Tx(125000, kid=KID_EXACT, type=18, sign="-"),  # takes back the payment of F-1
    Tx(125000, kid=KID_EXACT),  # matched: F-1 closes again
    Tx(0, kid=KID_EXACT),  # nothing paid: unmatched
    Tx(2000, kid="12345678900"),  # an invalid KID: unmatched
)


@pytest.mark.parametrize(("chunk", "rows"), [(3, 2), (1, 1), (2000, 2000)])
def test_a_file_taken_in_small_chunks_ends_as_taken_whole(
    acme: UnitOfWork,  # noqa: F811
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    chunk: int,
    rows: int,
) -> None:
    monkeypatch.setattr(incoming_run, "CHUNK", chunk)
    monkeypatch.setattr(bulk, "CHUNK", rows)

    result = ingest(acme, FILE)

    assert result.payments == 12
    assert result.counts == {
        "partial": 2,
        "unmatched": 3,
        "matched": 4,
        "overpaid": 2,
        "reversed": 1,
    }
    assert result.vouchers == 9
    assert open_amounts(engine) == {
        "F-1": (Decimal("0.00"), "closed"),
        "F-2": (Decimal("0.00"), "closed"),
        "F-3": (Decimal("0.00"), "closed"),
        "F-4": (Decimal("0.00"), "closed"),
    }
    with engine.connect() as connection:
        stored = connection.execute(
            select(
                IncomingPaymentRow.line,
                IncomingPaymentRow.status,
                IncomingPaymentRow.amount,
                IncomingPaymentRow.cleared,
                IncomingPaymentRow.excess,
                VoucherRow.number,
            )
            .outerjoin(VoucherRow, VoucherRow.id == IncomingPaymentRow.voucher_id)
            .order_by(IncomingPaymentRow.line)
        ).all()
    assert [(line, status, number) for line, status, *_, number in stored] == [
        (3, "partial", 1),
        (5, "unmatched", None),
        (7, "partial", 2),
        (9, "matched", 3),
        (11, "reversed", 4),
        (13, "overpaid", 5),
        (15, "matched", 6),
        (17, "overpaid", 7),
        (19, "reversed", 8),
        (21, "matched", 9),
        (23, "unmatched", None),
        (25, "unmatched", None),
    ]
    assert [(cleared, excess) for *_, cleared, excess, _ in stored][5:8] == [
        (Decimal("300.00"), Decimal("150.00")),
        (Decimal("99.70"), Decimal("0.00")),
        (Decimal("0.00"), Decimal("10.00")),
    ]
    posted = vouchers(acme)
    assert [voucher.number for voucher in posted] == list(range(1, 10))
    for voucher in posted:
        check_balanced(voucher.lines)
    reversal = posted[7]
    assert [(x.account, x.debit, x.credit) for x in reversal.lines] == [
        (x.account, x.credit, x.debit) for x in posted[3].lines
    ]


def test_the_collector_is_left_as_it_was_found_even_when_a_file_is_refused(
    acme: UnitOfWork,  # noqa: F811
) -> None:
    assert gc.isenabled()
    ingest(acme, ocr(Tx(125000, kid=KID_EXACT)))
    assert gc.isenabled()
    with pytest.raises(BankFileRejected):
        ingest(acme, ocr(Tx(1000, kid=KID_UNKNOWN))[:-3], name="bad.ocr")
    assert gc.isenabled()
    gc.disable()
    try:
        ingest(acme, ocr(Tx(1000, kid=KID_UNKNOWN), number="0000002"), name="b.ocr")
        assert not gc.isenabled()
    finally:
        gc.enable()
