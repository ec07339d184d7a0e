"""Makes examples/incoming.ocr: the bank's OCR Giro file of KID payments into Acme AS's account
(8601.11.17947, as "A first company, step by step" in README.md sets it up), paying the invoices
of examples/customer-items.csv.

    .venv/bin/python examples/make_incoming_ocr.py

The file is written with netsgiro, as Nets sends it: one transmission, one assignment (the
account), records 30 and 31 per payment (transaction type 10, giro debited account), in
ISO-8859-1, settled on Monday 23 November 2026. It pays

- K-26101 (Nordlys Catering AS, NOK 12,500.00) exactly: matched, the invoice closed;
- K-26103 (Havgløtt Hotell AS, NOK 18,750.00) with NOK 10,000.00: partial, 8,750.00 still open;
- K-26104 (Fjordbris Kafé AS, NOK 2,990.00) with NOK 3,290.00: overpaid, 300.00 held as credit;
- NOK 1,450.00 with KID 10005250876 (a valid MOD11 KID, last year's invoice K-25087 of Ola
  Nordmann), which no invoice has: unmatched, for a person (it pays K-26105).

K-26102 stays open. The KIDs are read from examples/customer-items.csv by paybot's own reader,
which checks their MOD10/MOD11 check digits. The same input makes the same bytes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from netsgiro import AssignmentType, ServiceCode, Transaction, TransactionType, Transmission

from paybot.core.identifiers import compact_account, kid_problem
from paybot.core.ledger_file import read_customer_item_rows

HERE = Path(__file__).parent
ITEMS = HERE / "customer-items.csv"
OUT = HERE / "incoming.ocr"

ACCOUNT = "8601.11.17947"  # Acme AS's account, with an incoming agreement from `company add`
SETTLED = date(2026, 11, 23)  # Nets' settlement date
BANK_DATE = date(2026, 11, 20)  # the day the payers' banks took the payments
UNKNOWN_KID = "10005250876"

# (invoice_no or None, amount paid or None for the invoice's amount, KID if not the invoice's,
# the payer's account)
PAYMENTS: list[tuple[str | None, Decimal | None, str | None, str]] = [
    ("K-26101", None, None, "9235.10.44103"),
    ("K-26103", Decimal("10000.00"), None, "1254.07.88128"),
    ("K-26104", Decimal("3290.00"), None, "4201.77.83208"),
    (None, Decimal("1450.00"), UNKNOWN_KID, "8101.66.55228"),
]


def transmission() -> Transmission:
    items = {row.invoice_no: row for row in read_customer_item_rows(str(ITEMS), ITEMS.read_bytes())}
    if UNKNOWN_KID in {row.kid for row in items.values()}:
        raise SystemExit(f"{UNKNOWN_KID} is an invoice's KID in {ITEMS}: it must be unknown")
    sent = Transmission(
        number="0001123", data_transmitter="00008080", data_recipient="00010200", date=SETTLED
    )
    assignment = sent.add_assignment(
        service_code=ServiceCode.OCR_GIRO,
        assignment_type=AssignmentType.TRANSACTIONS,
        agreement_id="001008566",
        number="0000001",
        account=compact_account(ACCOUNT),
        date=SETTLED,
    )
    for number, (invoice_no, amount, kid, payer) in enumerate(PAYMENTS, start=1):
        item = items[invoice_no] if invoice_no else None
        kid = kid or (item.kid if item else None)
        amount = amount or (item.amount if item else None)
        if kid is None or amount is None or kid_problem(kid) is not None:
            raise SystemExit(f"payment {number}: no amount or KID, or a bad KID ({kid})")
        assignment.transactions.append(
            Transaction(
                service_code=ServiceCode.OCR_GIRO,
                type=TransactionType.FROM_GIRO_DEBITED_ACCOUNT,
                number=number,
                date=SETTLED,
                amount=amount,
                kid=kid,
                reference=f"{number * 1_000_003:09d}",  # the archive reference
                text=None,
                centre_id="13",
                day_code=SETTLED.day,
                partial_settlement_number=1,
                partial_settlement_serial_number="01464",
                sign="0",
                form_number="9797596016",
                bank_date=BANK_DATE,
                debit_account=compact_account(payer),
                filler=None,
            )
        )
    return sent


def main() -> None:
    sent = transmission()
    OUT.write_bytes((sent.to_ocr() + "\n").encode("latin-1"))
    print(
        f"Wrote {OUT}: {sent.get_num_transactions()} payment(s), NOK {sent.get_total_amount()}, "
        f"{sent.get_num_records()} records."
    )


if __name__ == "__main__":
    main()
