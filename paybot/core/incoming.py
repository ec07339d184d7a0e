"""Incoming payments and the customer invoices they pay: the objects the bank-file readers make
(Nets OCR Giro in bankfiles/ocr_giro.py, camt.054 credit notifications in
bankfiles/camt054_incoming.py) and the matching in incoming_match.py takes.

Amounts are `Decimal`: an incoming payment's is positive for money in and negative for a reversal
(money taken back off the account), so the payments of a file add up to what the bank booked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class IncomingPayment:
    """One payment into one of the company's bank accounts, as the bank's file tells it.

    Attributes:
        key: identifies the payment among the bank's files, so the same payment sent again (in a
            file with other content) is known: OCR Giro `transmitter/transmission/assignment/
            transaction number`; camt.054 the entry's `AcctSvcrRef` (else the message id and the
            entry's place in the file) and the transaction's place in the entry.
        amount: positive for money in, negative for a reversal.
        currency: ISO 4217 (OCR Giro is always NOK).
        kid: the payer's structured reference as the file gives it (stripped), None if none;
            whether it is a valid KID is for the matching to say.
        account: the company's account the payment went to (compact BBAN or IBAN).
        payment_date: the day the bank settled it on the account (OCR: Nets' settlement date;
            camt.054: the booking date, else the value date).
        reversal: True when the bank takes back an earlier payment (OCR transaction types 18
            and 20 or the `-` sign; camt.054 a debit that is a return or a reversal).
        source: the file it came from; line: where in it (the transaction's first record).
        bank_reference: the bank's own reference (OCR archive reference, camt.054 AcctSvcrRef).
        payer_name, payer_account: where the file names them (OCR has the debited account only).
        message: free text (OCR record 32, camt.054 `Ustrd`).
        bank_code: the bank's kind of transaction (OCR transaction type "10".."21").
    """

    key: str
    amount: Decimal
    currency: str
    kid: str | None
    account: str
    payment_date: date
    reversal: bool
    source: str
    line: int | None
    bank_reference: str | None = None
    payer_name: str | None = None
    payer_account: str | None = None
    message: str | None = None
    bank_code: str | None = None


@dataclass(frozen=True)
class CustomerItem:
    """An open item of the customer ledger: an invoice the company sent, and what is left of it.

    `open_amount` is what the customer still owes on it (0 when paid); `amount` is the invoice's
    own. Both in `currency`.
    """

    invoice_no: str
    customer_name: str
    customer_org_no: str | None
    amount: Decimal
    currency: str
    due_date: date | None
    kid: str | None
    open_amount: Decimal
