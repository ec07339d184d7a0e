"""What `paybot returns poll` prints of the incoming side of a file: the payments in and what
became of them, taken before, or not taken (no incoming agreement)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paybot.cli.returns import _report
from paybot.services.incoming import IngestResult as Incoming
from paybot.services.returns import IngestResult

TAKEN = Incoming(
    name="in.ocr",
    kind="ocr_giro",
    company_org_no="974760673",
    payments=3,
    vouchers=1,
    counts={"matched": 1, "unmatched": 2},
    amounts={"matched": Decimal("1250.00"), "unmatched": Decimal("350.00")},
)


def test_an_ocr_file_says_its_payments_in_and_nothing_of_payments_out(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _report(IngestResult(name="in.ocr", kind="ocr_giro", incoming=TAKEN))

    assert capsys.readouterr().out == (
        "in.ocr (ocr_giro): 3 payment(s) in: 1 matched (1250.00), 2 unmatched (350.00); "
        "1 voucher(s).\n"
    )


def test_a_camt054_says_both_sides_and_one_taken_before_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    again = Incoming(name="n.xml", kind="camt.054", taken_already=True)
    _report(
        IngestResult(name="n.xml", kind="camt.054", paid=[4], incoming_entries=2, incoming=TAKEN)
    )
    _report(IngestResult(name="n.xml", kind="camt.054", already_applied=True, incoming=again))

    out = capsys.readouterr().out
    assert "n.xml (camt.054): 1 paid, 0 failed, 0 status update(s).\n" in out
    assert "  Incoming: 3 payment(s) in: 1 matched (1250.00)" in out
    assert "  Incoming: payments in taken before; nothing changed.\n" in out
    assert "not handled here" not in out


def test_entries_in_a_camt054_without_an_incoming_agreement_are_said_not_taken(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _report(IngestResult(name="n.xml", kind="camt.054", incoming_entries=2))

    assert "2 incoming entr(y/ies) not taken as payments in: the account has no incoming" in (
        capsys.readouterr().out
    )
