"""Vouchers as JSON for an accounting system, written one voucher at a time.

    {"vouchers": [
    {"number": 12, "date": "2026-03-02", "text": "...", "lines": [
        {"account": "2400", "debit": "1250.00", "credit": "0.00", "currency": "NOK",
         "amount_currency": "1250.00", "supplier": {"id": "974760673", "name": "...",
         "org_no": "974760673"}, "text": "..."}, ...]},
    ...
    ]}

Amounts are strings with two decimals (never JSON numbers, which most readers turn into
floats); `debit` and `credit` are in the company's currency, `amount_currency` in the line's
`currency`. A line posted with a supplier or customer carries it under "supplier" or
"customer" (its id is the one the SAF-T export uses); other lines carry neither key. UTF-8, no
byte order mark, one voucher per line of the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, BinaryIO

from paybot.core.errors import ValidationFailed
from paybot.core.ledgerfiles.balance import LedgerFold, LedgerSummary
from paybot.core.ledgerfiles.common import (
    PARTY_KINDS,
    amount_text,
    cents_text,
    check_text,
    party_id,
)
from paybot.core.vouchers import Voucher

__all__ = ["voucher_json", "write_json"]

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


def write_json(vouchers: Iterable[Voucher], out: BinaryIO) -> LedgerSummary:
    """Write `vouchers` to `out` as `{"vouchers": [...]}`, element by element.

    Args:
        vouchers: the vouchers, in the order they should have (any iterable).
        out: a binary stream; written as vouchers come, flushed at the end, never closed.

    Returns:
        What was written: vouchers, lines, total debit and credit, each account's movement.

    Raises:
        ValidationFailed: a voucher that does not balance, holds fractions of a cent, a party
            that is neither supplier nor customer, or a character no file can carry. The
            vouchers before it are written, and the document is left unclosed.
    """
    fold = LedgerFold()
    out.write(b'{"vouchers": [')
    separator = b"\n"
    for voucher in vouchers:
        element = _ENCODER.encode(voucher_json(voucher)).encode("utf-8")
        fold.add(voucher)
        out.write(separator + element)
        separator = b",\n"
    out.write(b"\n]}\n")
    out.flush()
    return fold.summary()


def voucher_json(voucher: Voucher) -> dict[str, Any]:
    """One voucher as the export writes it: a dict of strings, ints and lists."""
    where = f"voucher {voucher.number}"
    lines = []
    for index, line in enumerate(voucher.lines, 1):
        item: dict[str, Any] = {
            "account": line.account,
            "debit": cents_text(line.debit),
            "credit": cents_text(line.credit),
            "currency": line.currency,
            "amount_currency": amount_text(line.amount_currency),
        }
        party = line.party
        if party is not None:
            if party.kind not in PARTY_KINDS:
                problem = f"a party is a supplier or a customer, not {party.kind!r}"
                raise ValidationFailed({where: f"line {index}: {problem}"})
            item[party.kind] = {
                "id": check_text(where, f"line {index} party id", party_id(party)),
                "name": check_text(where, f"line {index} party", party.name),
                "org_no": party.org_no,
            }
        item["text"] = check_text(where, f"line {index} text", line.text)
        lines.append(item)
    return {
        "number": voucher.number,
        "date": voucher.day.isoformat(),
        "text": check_text(where, "text", voucher.text),
        "lines": lines,
    }
