"""Vouchers as a CSV file that opens right in a Norwegian spreadsheet, written as they come.

UTF-8 with a byte order mark (so Excel reads æøå as UTF-8), `;` between fields, CRLF between
rows, decimal commas and no thousands separator (so amounts are read as numbers), dates as
DD.MM.YYYY. One row per voucher line:

    voucher number; date; voucher text; account; debit; credit; currency; amount in currency;
    supplier or customer; line text

Debit and credit are in the company's currency, both always filled ("0,00" on the side not
used), so summing each column gives the vouchers' totals. A field holding `;`, a quote or a line
break is quoted (RFC 4180), so a payee's name stays one field whatever it holds. A text that a
spreadsheet would run as a formula (one starting with =, +, -, @, or a tab or carriage return)
gets a leading apostrophe, which the spreadsheet shows as text instead.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import BinaryIO

from paybot.core.company import Language
from paybot.core.ledgerfiles.balance import LedgerFold, LedgerSummary
from paybot.core.ledgerfiles.common import amount_text, cents_text, check_text
from paybot.core.vouchers import Voucher

__all__ = ["CSV_HEADERS", "write_csv"]

CSV_HEADERS: dict[Language, Sequence[str]] = {
    Language.NB: (
        "Bilagsnr",
        "Dato",
        "Bilagstekst",
        "Konto",
        "Debet",
        "Kredit",
        "Valuta",
        "Valutabeløp",
        "Leverandør/kunde",
        "Linjetekst",
    ),
    Language.EN: (
        "Voucher no",
        "Date",
        "Voucher text",
        "Account",
        "Debit",
        "Credit",
        "Currency",
        "Amount in currency",
        "Supplier/customer",
        "Line text",
    ),
}

# OWASP's list of what starts a formula in Excel, LibreOffice and Google Sheets.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def write_csv(
    vouchers: Iterable[Voucher], out: BinaryIO, *, language: Language = Language.NB
) -> LedgerSummary:
    """Write `vouchers` to `out` as CSV rows, one voucher at a time.

    Args:
        vouchers: the vouchers, in the order the rows should have (any iterable: a generator
            over a database cursor keeps memory flat).
        out: a binary stream; written as rows come, flushed at the end, never closed.
        language: the language of the header row.

    Returns:
        What was written: vouchers, lines, total debit and credit, each account's movement.

    Raises:
        ValidationFailed: a voucher that does not balance, holds fractions of a cent, or holds a
            character no file can carry (a control character). Rows before it are written.
    """
    fold = LedgerFold()
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=False)
    try:
        writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
        writer.writerow(CSV_HEADERS[language])
        for voucher in vouchers:
            rows = _rows(voucher)
            fold.add(voucher)
            writer.writerows(rows)
        text.flush()
    finally:
        text.detach()  # the caller's stream stays open
    out.flush()
    return fold.summary()


def _rows(voucher: Voucher) -> list[tuple[str, ...]]:
    number = str(voucher.number)
    where = f"voucher {number}"
    day = voucher.day.strftime("%d.%m.%Y")
    voucher_text = _cell(check_text(where, "text", voucher.text))
    rows: list[tuple[str, ...]] = []
    for index, line in enumerate(voucher.lines, 1):
        party = line.party
        party_name = check_text(where, f"line {index} party", party.name) if party else ""
        rows.append(
            (
                number,
                day,
                voucher_text,
                _cell(line.account),
                cents_text(line.debit).replace(".", ","),
                cents_text(line.credit).replace(".", ","),
                line.currency,
                amount_text(line.amount_currency).replace(".", ","),
                _cell(party_name),
                _cell(check_text(where, f"line {index} text", line.text)),
            )
        )
    return rows


def _cell(text: str) -> str:
    """A text field as a spreadsheet should show it: never run as a formula."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
