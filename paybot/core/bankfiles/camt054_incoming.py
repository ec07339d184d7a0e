"""camt.054 credit notifications as incoming payments: what `read_camt054` reads, for the
customer ledger.

`read_camt054` (camt054_reader) reads every entry of a camt.054 (.02, .08 and the versions of the
same shape, .04 among them) as it is; here each booked entry is sorted by what it means for the
account's owner (`entry_kind`), and those about incoming payments become `IncomingPayment`s:

- a booked credit (`CdtDbtInd` CRDT) that is neither a return nor a reversal: money in, one
  payment per `NtryDtls/TxDtls` (an entry may hold many, as a batch of KID payments does), or the
  entry itself when it has none;
- a booked debit that is a return (a `TxDtls` with `RtrInf`) or a reversal (`RvslInd` true):
  money taken back off the account, a reversal of an incoming payment, with a negative amount.
  Only the returned transactions count when some have `RtrInf`; all of them otherwise.

Left to others: a plain booked debit is an outgoing payment, and a credit that is a return or a
reversal is an outgoing payment coming back (both for `claims.camt054_claims`); an entry not
booked (PDNG, INFO, FUTR) moved no money.

The KID is the first `RmtInf/Strd/CdtrRefInf/Ref` of a transaction, whatever its type (SCOR,
a proprietary "KID", ...) as the reader keeps it; whether it is a valid KID is the matching's to
say. A transaction's amount is its `AmtDtls/TxAmt/Amt`, else its `Amt`, else
`AmtDtls/InstdAmt/Amt` (the reader's choice). A lone transaction in another currency than its
entry's, or with no amount, stands for its entry's booking. The transactions of an entry, where
all are in the entry's currency, must add up to the entry's amount, and a transaction of a
several-transaction entry must have an amount: a file where they do not is refused
(`BankFileRejected` at the entry's or the transaction's line), since the payments then cannot
be told from the booking. The payment date is the booking date, else the value date, else the
day the notification was made.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from enum import StrEnum

from paybot.core.bankfiles.camt054_reader import read_camt054
from paybot.core.bankfiles.model import BankFileRejected, Entry, Notification
from paybot.core.bankfiles.safe_xml import XmlData
from paybot.core.incoming import IncomingPayment

BOOKED = "BOOK"


class EntryKind(StrEnum):
    """What a camt.054 entry means for the account's owner."""

    INCOMING = "incoming"  # a credit: payments in
    INCOMING_REVERSAL = "incoming_reversal"  # a debit returning or reversing payments in
    OUTGOING = "outgoing"  # a debit: our payments out
    OUTGOING_RETURN = "outgoing_return"  # a credit returning or reversing our payments out
    NOT_BOOKED = "not_booked"  # pending or information only: no money moved


def entry_kind(entry: Entry) -> EntryKind:
    if entry.status.upper() != BOOKED:
        return EntryKind.NOT_BOOKED
    returned = entry.reversal or any(t.return_reason for t in entry.transactions)
    if entry.direction == "CRDT":
        return EntryKind.OUTGOING_RETURN if returned else EntryKind.INCOMING
    return EntryKind.INCOMING_REVERSAL if returned else EntryKind.OUTGOING


def read_incoming_camt054(
    source: str, data: XmlData
) -> tuple[Notification, Iterator[IncomingPayment]]:
    """The notification's header now, and its incoming payments one by one.

    Raises:
        BankFileRejected: as `read_camt054` does (before returning for the file's kind and
            header, while iterating for the rest), and while iterating for an entry whose
            payments cannot be told from its booking (see the module's docstring).
    """
    notification, entries = read_camt054(source, data)
    return notification, incoming_payments(source, notification, entries)


def incoming_payments(
    source: str, notification: Notification, entries: Iterable[Entry]
) -> Iterator[IncomingPayment]:
    """The incoming payments and their reversals among `entries`, in file order."""
    for index, entry in enumerate(entries, 1):
        kind = entry_kind(entry)
        if kind is EntryKind.INCOMING:
            yield from _payments(source, notification, index, entry, only_returned=False)
        elif kind is EntryKind.INCOMING_REVERSAL:
            returned = any(t.return_reason for t in entry.transactions)
            yield from _payments(source, notification, index, entry, only_returned=returned)


def _payments(
    source: str,
    notification: Notification,
    index: int,
    entry: Entry,
    *,
    only_returned: bool,
) -> Iterator[IncomingPayment]:
    reversal = entry.direction != "CRDT"
    account = entry.account
    if account is None:
        raise BankFileRejected(source, "Ntry: its Ntfctn names no account (Acct/Id)", entry.line)
    if entry.amount < 0:
        raise BankFileRejected(
            source, f"Amt: {entry.amount} is negative (CdtDbtInd gives the direction)", entry.line
        )
    day = entry.booking_date or entry.value_date
    if day is None and notification.created_at is not None:
        day = notification.created_at.date()
    if day is None:
        raise BankFileRejected(source, "Ntry: no BookgDt, ValDt or CreDtTm to date it", entry.line)
    reference = entry.bank_reference or f"{notification.message_id}#{index}"
    if not entry.transactions:
        yield IncomingPayment(
            key=f"{reference}/0",
            amount=-entry.amount if reversal else entry.amount,
            currency=entry.currency,
            kid=None,
            account=account,
            payment_date=day,
            reversal=reversal,
            source=source,
            line=entry.line,
            bank_reference=entry.bank_reference,
        )
        return
    amounts = zip(entry.transactions, _amounts(source, entry), strict=True)
    for number, (tx, (amount, currency)) in enumerate(amounts, 1):
        if only_returned and not tx.return_reason:
            continue
        yield IncomingPayment(
            key=f"{reference}/{number}",
            amount=-amount if reversal else amount,
            currency=currency,
            kid=tx.kid,
            account=account,
            payment_date=day,
            reversal=reversal,
            source=source,
            line=tx.line if tx.line is not None else entry.line,
            bank_reference=entry.bank_reference,
            payer_name=tx.debtor_name,
            payer_account=tx.debtor_account,
            message=tx.message,
            bank_code=tx.return_reason,
        )


def _amounts(source: str, entry: Entry) -> list[tuple[Decimal, str]]:
    """Each transaction's amount and currency; refuses an entry they do not account for."""
    transactions = entry.transactions
    if len(transactions) == 1:
        tx = transactions[0]
        if tx.amount is None or (tx.currency or entry.currency) != entry.currency:
            return [(entry.amount, entry.currency)]
    found: list[tuple[Decimal, str]] = []
    for tx in transactions:
        if tx.amount is None:
            raise BankFileRejected(
                source,
                f"TxDtls: no amount, in an entry of {len(transactions)} transactions",
                tx.line if tx.line is not None else entry.line,
            )
        if tx.amount < 0:
            raise BankFileRejected(source, f"TxDtls: amount {tx.amount} is negative", tx.line)
        found.append((tx.amount, tx.currency or entry.currency))
    if all(currency == entry.currency for _, currency in found):
        total = sum((amount for amount, _ in found), Decimal(0))
        if total != entry.amount:
            raise BankFileRejected(
                source,
                f"Amt: the entry books {entry.currency} {entry.amount}, its transactions add up "
                f"to {entry.currency} {total}",
                entry.line,
            )
    return found
