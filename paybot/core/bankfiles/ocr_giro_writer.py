"""Writing Nets OCR Giro files of incoming KID payments, as a bank sends them: what the sandbox
bank and the demo hand to paybot's incoming side (read back by `ocr_giro.read_ocr_giro`).

One transmission, one assignment (one account), transaction type 10 (giro debited account) with
records 30 and 31 per payment, and the end records with their counts and totals. Amounts are
whole øre, positive (a payment in); reversals are not written here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from paybot.core.errors import ValidationFailed

_LINE = 80
_TRANSACTION_TYPE = 10


@dataclass(frozen=True)
class OcrPayment:
    """A payment in: its amount in NOK (two decimals at most), the payer's KID and account."""

    amount: Decimal
    kid: str
    payer_account: str = "99991005524"


def write_ocr_giro(
    payments: Sequence[OcrPayment],
    *,
    account: str,
    settled: date,
    transmission: int = 1,
    assignment: int = 1,
) -> bytes:
    """The file's bytes (ISO-8859-1, CRLF line ends) paying `payments` into `account`."""
    if not account.isdigit() or len(account) != 11:
        raise ValidationFailed({"account": f"{account} is not an 11-digit account number"})
    day = f"{settled:%d%m%y}"
    body: list[str] = []
    total = 0
    for number, payment in enumerate(payments, start=1):
        ore = _ore(payment.amount)
        if not payment.kid.isdigit() or not 2 <= len(payment.kid) <= 25:
            raise ValidationFailed({"kid": f"{payment.kid!r} is not a KID (2 to 25 digits)"})
        total += ore
        reference = f"{number:09d}"
        body += [
            f"NY09{_TRANSACTION_TYPE:02d}30{number:07d}{day}1320101464"
            f"0{ore:017d}{payment.kid:>25}000000",
            f"NY09{_TRANSACTION_TYPE:02d}31{number:07d}9797596016{reference}0000000"
            f"{day}{payment.payer_account:>11}{'0' * 22}",
        ]
    count = len(payments)
    lines = [
        # Nets (00008080) to the data recipient 00010200, as the bank's samples have it.
        f"NY000010{'00008080'}{transmission:07d}{'00010200'}{'0' * 49}",
        f"NY090020001008566{assignment:07d}{account}{'0' * 45}",
        *body,
        f"NY090088{count:08d}{len(body) + 2:08d}{total:017d}{day}{day}{day}{'0' * 21}",
        f"NY000089{count:08d}{len(body) + 4:08d}{total:017d}{day}{'0' * 33}",
    ]
    wrong = [line for line in lines if len(line) != _LINE]
    if wrong:  # a field too wide: never a file a reader would misread
        raise ValidationFailed({"record": f"not {_LINE} characters: {wrong[0]!r}"})
    return ("\r\n".join(lines) + "\r\n").encode("latin-1")


def _ore(amount: Decimal) -> int:
    ore = amount * 100
    if amount <= 0 or ore != ore.to_integral_value():
        raise ValidationFailed({"amount": f"{amount} is not a positive amount in whole øre"})
    return int(ore)
