"""What a bank's return file says about our sends, as claims to match: one per reference
(an EndToEndId, a payment-info block or a whole batch), read whole before anything is applied.

pain.002: one claim per status report (PART and reports without a status only name their
reference). camt.054: a booked debit by EndToEndId (with the amount the bank booked) or, with no
transaction details, by the batch's PmtInfId (with the entry's total); a return (`RtrInf`, or a
reversal) by EndToEndId or block. Credits that are not returns are incoming payments, counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from paybot.core.bankfiles.camt054 import read_camt054
from paybot.core.bankfiles.model import BankFileRejected, Entry, EntryTransaction, StatusLevel
from paybot.core.bankfiles.outcomes import Outcome, outcome_of
from paybot.core.bankfiles.pain002 import read_pain002
from paybot.core.bankfiles.safe_xml import refuse_declarations, sniff
from paybot.core.sends import Answer


@dataclass(frozen=True)
class Claim:
    """What a file says about one reference, before it is matched to our sends."""

    reference: str
    level: StatusLevel  # TRANSACTION: an EndToEndId; PAYMENT_INFO: a block; GROUP: a batch
    answer: Answer | None  # None: a status that says nothing of its own (PART)
    message_id: str | None = None  # pain.002: the batch (OrgnlMsgId) the file is about
    account: str | None = None  # camt.054: the account the booking is on
    bank_status: str | None = None
    reasons: tuple[str, ...] = ()
    text: str | None = None
    booked: tuple[Decimal, str] | None = None
    # The amount as ordered, where a booking in the account's currency names it (InstdAmt).
    instructed: tuple[Decimal, str] | None = None


@dataclass
class FileClaims:
    claims: list[Claim] = field(default_factory=list)
    incoming: int = 0


_MESSAGES = (("CstmrPmtStsRpt", "pain.002"), ("BkToCstmrDbtCdtNtfctn", "camt.054"))


def kind_of(name: str, data: bytes) -> str:
    """pain.002 or camt.054, by the message element (banks' own namespaces read alike)."""
    refuse_declarations(name, data)
    for message, family in _MESSAGES:
        try:
            sniff(name, data, message, family)
        except BankFileRejected as exc:
            if "not a " not in exc.problem:
                raise  # malformed: say so, not "wrong kind"
            continue
        return family
    raise BankFileRejected(name, "not a pain.002 status report or a camt.054 notification")


_ANSWERS = {Outcome.PAID: Answer.BOOKED, Outcome.REJECTED: Answer.REJECTED}


def pain002_claims(name: str, data: bytes) -> FileClaims:
    """One claim per report; PART and reports with no status say nothing of their own."""
    read = FileClaims()
    for report in read_pain002(name, data).reports:
        outcome = outcome_of(report)
        reference = {
            StatusLevel.GROUP: report.original_message_id,
            StatusLevel.PAYMENT_INFO: report.original_payment_info_id,
            StatusLevel.TRANSACTION: report.original_end_to_end_id,
        }[report.level]
        read.claims.append(
            Claim(
                reference=reference or "",
                level=report.level,
                answer=None if outcome is None else _ANSWERS.get(outcome.outcome, Answer.STATUS),
                message_id=report.original_message_id,
                bank_status=None if outcome is None else outcome.bank_status,
                reasons=() if outcome is None else outcome.reason_codes,
                text=None if outcome is None else outcome.bank_text,
            )
        )
    return read


def camt054_claims(name: str, data: bytes) -> FileClaims:
    """Bookings of our debits (by EndToEndId, or a whole block by PmtInfId) and returns."""
    read = FileClaims()
    _, entries = read_camt054(name, data)
    for entry in entries:
        returns = [t for t in entry.transactions if t.return_reason] or (
            list(entry.transactions) if entry.reversal else []
        )
        if returns or entry.reversal:
            if entry.status.upper() != "PDNG":
                read.claims.extend(_returns(entry, returns))
            continue
        if entry.direction != "DBIT":
            read.incoming += 1
            continue
        if entry.status.upper() != "BOOK":
            continue
        ids = [t for t in entry.transactions if t.end_to_end_id]
        for tx in ids:
            amount = tx.amount if tx.amount is not None else _single(entry)
            read.claims.append(
                Claim(
                    reference=str(tx.end_to_end_id),
                    level=StatusLevel.TRANSACTION,
                    answer=Answer.BOOKED,
                    account=entry.account,
                    bank_status="BOOK",
                    booked=None if amount is None else (amount, tx.currency or entry.currency),
                    instructed=_instructed(tx),
                )
            )
        if not ids and entry.batch_payment_info_id:
            read.claims.append(
                Claim(
                    reference=entry.batch_payment_info_id,
                    level=StatusLevel.PAYMENT_INFO,
                    answer=Answer.BOOKED,
                    account=entry.account,
                    bank_status="BOOK",
                    booked=(entry.amount, entry.currency),
                )
            )
    return read


def _instructed(tx: EntryTransaction) -> tuple[Decimal, str] | None:
    if tx.instructed_amount is None or tx.instructed_currency is None:
        return None
    return tx.instructed_amount, tx.instructed_currency


def _single(entry: Entry) -> Decimal | None:
    """The entry's amount stands for its one transaction's."""
    return entry.amount if len(entry.transactions) == 1 else None


def _returns(entry: Entry, transactions: list[EntryTransaction]) -> list[Claim]:
    claims = [
        Claim(
            reference=str(tx.end_to_end_id),
            level=StatusLevel.TRANSACTION,
            answer=Answer.RETURNED,
            account=entry.account,
            bank_status="RTRN",
            reasons=(tx.return_reason,) if tx.return_reason else (),
        )
        for tx in transactions
        if tx.end_to_end_id
    ]
    if not claims and entry.batch_payment_info_id:
        claims.append(
            Claim(
                reference=entry.batch_payment_info_id,
                level=StatusLevel.PAYMENT_INFO,
                answer=Answer.RETURNED,
                account=entry.account,
                bank_status="RTRN",
            )
        )
    return claims
