"""Incoming payments (innbetalinger): files of KID payments from the bank, matched to the
customer ledger's invoices and posted; the rest handled by a person.

- `ingest` takes one file (Nets OCR Giro, or a camt.054 credit notification) in one transaction:
  all of its payments or none. The file must be for accounts of the company with an incoming
  agreement; a file taken before (its SHA-256) changes nothing. Each payment is matched by KID
  (core.incoming_match): matched, settled, partial and overpaid ones are posted at once (debit
  the bank account's GL account, credit customers with the customer), unmatched ones wait for a
  person. A reversal undoes the payment it takes back.
- `list_incoming` shows them; a person (approver, signer or admin of the company) posts an
  unmatched one by hand to a GL account (`post_by_hand`: the seed's "refund from NAV"; one of
  the company's chart of accounts where it has one, services.chart_of_accounts), matches it
  to an invoice (`match_by_hand`), or deletes it with a reason (`delete`). Each is a
  compare-and-set on the payment's version, audited.
- `undo` takes back a hand posting or a hand match as accounting does: nothing is deleted or
  edited; a reversing voucher (the original's lines, debit and credit swapped, dated the business
  day given) is posted, a matched invoice is opened again by what the match cleared, and the
  payment is unmatched again for a person. A match by KID is not undone this way.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from itertools import chain

from paybot.core.chart_of_accounts import GL_ACCOUNT
from paybot.core.company import CompanyInfo
from paybot.core.errors import (
    ConcurrentChange,
    InvalidTransition,
    MissingRate,
    NotFound,
    NotPermitted,
    ValidationFailed,
)
from paybot.core.incoming import CustomerItem, IncomingPayment
from paybot.core.incoming_match import Match, MatchStatus, mirror_lines, voucher_lines
from paybot.core.money import currency_exponent
from paybot.core.policy import Actor
from paybot.core.posting import POSTING_ROLES, RateTable, VoucherRef
from paybot.core.sends import same_account
from paybot.core.text import text_problem
from paybot.core.vouchers import Party, VoucherLine
from paybot.services.chart_of_accounts import hand_account
from paybot.services.common import SYSTEM, ActorRef, audit, company_or_error, resolve_actor
from paybot.services.common import roles_of as _roles_of
from paybot.services.incoming_run import (
    Banks,
    IncomingStatus,
    Poster,
    Run,
    clip,
    gl_of,
    post_vouchers,
)
from paybot.store.incoming import IncomingRecord
from paybot.store.uow import UnitOfWork

__all__ = [
    "IncomingStatus",
    "IncomingView",
    "IngestResult",
    "Undone",
    "check",
    "delete",
    "ingest",
    "kind_of",
    "list_incoming",
    "match_by_hand",
    "post_by_hand",
    "undo",
    "view_of",
]

OCR_GIRO = "ocr_giro"
CAMT054 = "camt.054"
_OCR_START = b"NY000010"
TEXT_LENGTH = 200
_BY_HAND = "matched by hand (was: "  # a hand match's detail, then the payment's detail before


@dataclass(frozen=True)
class IngestResult:
    """What a file did: its payments by what became of them (counts and sums)."""

    name: str
    kind: str
    company_org_no: str | None = None
    taken_already: bool = False
    payments: int = 0
    seen_before: int = 0  # payments the account had from an earlier file: skipped
    vouchers: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    amounts: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class IncomingView:
    """An incoming payment as a person sees it."""

    id: int
    company_org_no: str
    status: IncomingStatus
    version: int
    amount: Decimal  # negative: a reversal
    currency: str
    kid: str | None
    payer: str | None  # the payer's name, else the account paid from
    payment_date: date
    account: str  # the company's account paid to
    invoice_no: str | None  # the invoice it was matched to
    reason: str | None  # why it matched nothing (core.incoming_match.Unmatched), or why not
    detail: str | None
    voucher: VoucherRef | None
    delete_reason: str | None
    paired_with: int | None  # a reversal and the payment it took back
    file: str
    line: int | None
    message: str | None


def kind_of(data: bytes) -> str:
    """OCR Giro (its first record starts NY000010), else camt.054 (XML, checked by its reader)."""
    return OCR_GIRO if data.startswith(_OCR_START) else CAMT054


def ingest(
    uow: UnitOfWork,
    *,
    company_org_no: str | None = None,
    source: str,
    data: bytes,
    now: datetime,
    actor: Actor = SYSTEM,
) -> IngestResult:
    """Takes one file of incoming payments, whole or not at all, once.

    Args:
        company_org_no: the company it is for; None: the company with the file's account.
        source: the file's name, for messages (`FILE:LINE: field: problem`).

    Raises:
        BankFileRejected: the file is malformed, or its counts or totals disagree.
        NotFound: the file's account is not the company's (or no company's).
        NotPermitted: the account has no incoming agreement.
    """
    with _collector_paused():
        return _ingest(uow, company_org_no, source, data, now, actor)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a file is taken.

    A file makes a few dozen objects per payment (the payment, its match, its voucher's lines,
    the rows written) that live until their chunk is written, and none is in a cycle: the
    collector would walk them, and everything else alive, at each of its full passes, a quarter
    of the time at 100,000 payments (2.4 s of 10). Only the caller that found it on turns it back
    on, so nested or concurrent ingests (and a refresh of proposals, which does the same) leave
    it on.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _ingest(
    uow: UnitOfWork,
    company_org_no: str | None,
    source: str,
    data: bytes,
    now: datetime,
    actor: Actor,
) -> IngestResult:
    digest = hashlib.sha256(data).hexdigest()
    kind = kind_of(data)
    accounts, payments = _read(source, data, kind)
    if not accounts:  # a camt.054 without payments in: nothing for the customer ledger
        return IngestResult(name=source, kind=kind, company_org_no=company_org_no)
    with uow:
        company = _company(uow, company_org_no, accounts[0])
        banks = Banks(company, source)
        for account in accounts:  # refused before anything is read further
            banks.of(account)
        file_id = uow.incoming.claim_file(
            company.id, sha256=digest, name=source, kind=kind, now=now
        )
        if file_id is None:
            return IngestResult(source, kind, company.org_no, taken_already=True)
        run = Run(
            uow=uow,
            company=company,
            banks=banks,
            file_id=file_id,
            poster=Poster(actor.user_id, actor.label, now),
            accounts=uow.postings.accounts(company.id),
        )
        for payment in payments:
            run.add(payment)
        run.flush()
        result = IngestResult(
            name=source,
            kind=kind,
            company_org_no=company.org_no,
            payments=run.payments,
            seen_before=run.seen_before,
            vouchers=run.vouchers,
            counts=dict(run.counts),
            amounts=dict(run.amounts),
        )
        summary = {
            "payments": result.payments,
            "seen_before": result.seen_before,
            "vouchers": result.vouchers,
            "counts": result.counts,
            "amounts": {status: str(amount) for status, amount in result.amounts.items()},
        }
        uow.incoming.set_file_summary(file_id, summary)
        audit(
            uow,
            actor=actor,
            action="incoming.ingest",
            now=now,
            company_id=company.id,
            details={"file": source, "kind": kind, "sha256": digest, **summary},
        )
        uow.commit()
    return result


def _read(source: str, data: bytes, kind: str) -> tuple[list[str], Iterator[IncomingPayment]]:
    """The accounts the file is for (OCR: its assignments'; camt.054: its first payment's, the
    rest checked as they come) and its payments, read as they are taken."""
    if kind == OCR_GIRO:
        from paybot.core.bankfiles.ocr_giro import read_ocr_giro

        transmission, payments = read_ocr_giro(source, data)
        return list(transmission.accounts), payments
    from paybot.core.bankfiles.camt054_incoming import read_incoming_camt054

    _, entries = read_incoming_camt054(source, data)
    first = next(entries, None)
    if first is None:
        return [], iter(())
    return [first.account], chain([first], entries)


def _company(uow: UnitOfWork, org_no: str | None, account: str) -> CompanyInfo:
    if org_no is not None:
        return company_or_error(uow, org_no)
    found = [
        c for c in uow.companies.all() if any(same_account(account, a.account) for a in c.accounts)
    ]
    if not found:
        raise NotFound(f"No company has the account {account}: give the company (--company).")
    if len(found) > 1:
        names = ", ".join(f"{c.name} ({c.org_no})" for c in found)
        raise ValidationFailed({"company": f"{names} all have account {account}: give one"})
    return found[0]


def list_incoming(
    uow: UnitOfWork, company_org_no: str, statuses: Iterable[IncomingStatus] | None = None
) -> list[IncomingView]:
    """The company's incoming payments (with these statuses), by date."""
    wanted = None if statuses is None else [status.value for status in statuses]
    with uow:
        company = company_or_error(uow, company_org_no)
        return [_view(company, record) for record in uow.incoming.listed(company.id, wanted)]


def view_of(company: CompanyInfo, record: IncomingRecord) -> IncomingView:
    """A stored payment as a person sees it (for the use cases that read them otherwise)."""
    return _view(company, record)


def _view(company: CompanyInfo, record: IncomingRecord) -> IncomingView:
    payment = record.payment
    return IncomingView(
        id=record.id,
        company_org_no=company.org_no,
        status=IncomingStatus(record.status),
        version=record.version,
        amount=payment.amount,
        currency=payment.currency,
        kid=payment.kid,
        payer=payment.payer_name or payment.payer_account,
        payment_date=payment.payment_date,
        account=payment.account,
        invoice_no=record.invoice_no,
        reason=record.reason,
        detail=record.detail,
        voucher=record.voucher,
        delete_reason=record.delete_reason,
        paired_with=record.paired_with_id,
        file=record.file_name,
        line=payment.line,
        message=payment.message,
    )


# --- by hand ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Opened:
    who: Actor
    company: CompanyInfo
    record: IncomingRecord


def _open(
    uow: UnitOfWork, actor: ActorRef, payment_id: int, version: int | None, doing: str
) -> _Opened:
    """The payment, locked; refused unless the actor may handle the company's incoming
    payments, it is unmatched, and (where given) still at `version`."""
    opened = _locked(uow, actor, payment_id)
    _same_version(opened.record, version, doing)
    if opened.record.status != IncomingStatus.UNMATCHED:
        raise InvalidTransition(
            f"Incoming payment {payment_id} {_fate(opened.record)}: {doing} only an unmatched one."
        )
    return opened


def _locked(uow: UnitOfWork, actor: ActorRef, payment_id: int) -> _Opened:
    """The payment, locked; refused unless the actor may handle the company's incoming payments
    (an approver, signer or admin of it: who may post by hand)."""
    who = resolve_actor(uow, actor)
    record = uow.incoming.get(payment_id, lock=True)
    if record is None:
        raise NotFound(f"No incoming payment {payment_id}. See `paybot incoming list`.")
    company = uow.companies.get_by_id(record.company_id)
    if POSTING_ROLES.isdisjoint(_roles_of(uow, who, company.id)):
        raise NotPermitted(
            f"{who.label} may not handle incoming payments in {company.name}: that needs the "
            "approver, signer or admin role."
        )
    return _Opened(who, company, record)


def _same_version(record: IncomingRecord, version: int | None, doing: str) -> None:
    if version is not None and version != record.version:
        raise ConcurrentChange(
            f"Incoming payment {record.id} was changed since you saw it; look again, then "
            f"{doing} it."
        )


def check(
    uow: UnitOfWork,
    *,
    payment_id: int,
    actor: ActorRef,
    version: int | None = None,
    doing: str = "handle",
) -> IncomingView:
    """The payment, if the actor may handle it by hand now (before a form is shown for it).
    Refused as `post_by_hand` would refuse: what became of it first, then a changed version."""
    with uow:
        opened = _open(uow, actor, payment_id, None, doing)
        _same_version(opened.record, version, doing)
        return _view(opened.company, opened.record)


def _fate(record: IncomingRecord) -> str:
    """What became of a payment, in words."""
    voucher = f" (voucher {record.voucher})" if record.voucher else ""
    status = IncomingStatus(record.status)
    if status is IncomingStatus.POSTED:
        return f"is posted by hand already{voucher}"
    if status is IncomingStatus.DELETED:
        return f"is deleted ({record.delete_reason})"
    if status is IncomingStatus.REVERSED:
        return f"is reversed{voucher}"
    return f"is {status.value}, to invoice {record.invoice_no}, and posted{voucher}"


def _changed(uow: UnitOfWork, opened: _Opened, values: Mapping[str, object], now: datetime) -> None:
    record = opened.record
    values = {**values, "handled_by_id": opened.who.user_id, "handled_at": now, "updated_at": now}
    if not uow.incoming.compare_and_set(record.id, record.version, values):
        raise ConcurrentChange(  # never expected: the payment is locked
            f"Incoming payment {record.id} was changed by someone else just now. Retry."
        )


def _audit(
    uow: UnitOfWork,
    opened: _Opened,
    action: str,
    status: IncomingStatus,
    now: datetime,
    details: Mapping[str, object],
) -> None:
    record = opened.record
    audit(
        uow,
        actor=opened.who,
        action=f"incoming.{action}",
        now=now,
        company_id=opened.company.id,
        before={"status": record.status, "version": record.version},
        after={"status": status.value, "version": record.version + 1},
        details={"incoming_payment": record.id, "amount": str(record.payment.amount), **details},
    )


def post_by_hand(
    uow: UnitOfWork,
    *,
    payment_id: int,
    account: str,
    text: str,
    customer: str | None = None,
    actor: ActorRef,
    now: datetime,
    version: int | None = None,
) -> IncomingView:
    """Posts an unmatched payment to a GL account (debit the bank's GL account, credit
    `account`; the other way round for a reversal), with `text` and, where given, the customer
    on the GL line; it is then posted and leaves the unmatched list.

    A company with a chart of accounts (`chart_of_accounts.import_chart`) takes only an account
    of it that is open for posting by hand; one without takes any GL account number. The GL
    account of the bank account the money came in on is refused either way.

    Raises:
        NotPermitted, NotFound, InvalidTransition (not unmatched), ConcurrentChange (not at
        `version`), ValidationFailed (the account or text; AccountNotInChart: an account the
        company's chart does not have, or has closed for posting by hand), MissingRate (another
        currency).
    """
    gl, words = _gl_account(account), _text("text", text)
    party = None if not customer or not customer.strip() else _text("customer", customer)
    with uow:
        opened = _open(uow, actor, payment_id, version, "post")
        company, payment = opened.company, opened.record.payment
        accounts = uow.postings.accounts(company.id)
        bank_gl = gl_of(company, payment.account, accounts)
        if gl == bank_gl:
            raise ValidationFailed(
                {
                    "account": f"{gl} is the GL account of the bank account the money came in "
                    "on: posted there it would be debited and credited at once, and the money "
                    "would not show in the ledger. Give the account that says what it is for"
                }
            )
        chart_account = hand_account(uow, company, gl)  # a company with a chart: in it, open
        lines = _hand_lines(uow, company, payment, bank_gl, gl, words, party)
        [(voucher_id, ref)] = post_vouchers(
            uow, company.id, [(payment.payment_date, words, lines)], _poster(opened, now)
        )
        _changed(
            uow, opened, {"status": IncomingStatus.POSTED.value, "voucher_id": voucher_id}, now
        )
        details = {
            "account": gl,
            "account_name": None if chart_account is None else chart_account.name,
            "text": words,
            "customer": party,
            "voucher": ref.number,
            "year": ref.year,
        }
        _audit(uow, opened, "post", IncomingStatus.POSTED, now, details)
        view = _reread(uow, company, payment_id)
        uow.commit()
    return view


def _hand_lines(
    uow: UnitOfWork,
    company: CompanyInfo,
    payment: IncomingPayment,
    bank_gl: str,
    gl: str,
    text: str,
    customer: str | None,
) -> tuple[VoucherLine, ...]:
    amount, currency = payment.amount, payment.currency
    value = amount
    if currency != company.currency:
        history = uow.postings.rate_history([currency], company.currency)
        rate = RateTable(company.currency, history).on(currency, payment.payment_date)
        if rate is None:
            day = payment.payment_date.isoformat()
            raise MissingRate(
                f"The payment is in {currency}, and there is no {currency} rate to "
                f"{company.currency} on {day} or before: set one with `paybot rates set "
                f"{currency} RATE --date {day}`, then post again."
            )
        exponent = Decimal(1).scaleb(-currency_exponent(company.currency))
        value = (amount * rate).quantize(exponent, ROUND_HALF_UP)
    zero, size, worth = Decimal(0), abs(amount), abs(value)
    party = None if customer is None else Party("customer", customer)
    bank_side = (worth, zero) if value > 0 else (zero, worth)
    return (
        VoucherLine(bank_gl, *bank_side, currency, size, clip(text)),
        VoucherLine(gl, bank_side[1], bank_side[0], currency, size, clip(text), party),
    )


def delete(
    uow: UnitOfWork,
    *,
    payment_id: int,
    reason: str,
    actor: ActorRef,
    now: datetime,
    version: int | None = None,
) -> IncomingView:
    """Removes an unmatched payment from the list without posting it; the reason is kept.

    Raises:
        NotPermitted, NotFound, InvalidTransition, ConcurrentChange, ValidationFailed (no reason).
    """
    why = _text("reason", reason)
    with uow:
        opened = _open(uow, actor, payment_id, version, "delete")
        values = {"status": IncomingStatus.DELETED.value, "delete_reason": why}
        _changed(uow, opened, values, now)
        _audit(uow, opened, "delete", IncomingStatus.DELETED, now, {"reason": why})
        view = _reread(uow, opened.company, payment_id)
        uow.commit()
    return view


def match_by_hand(
    uow: UnitOfWork,
    *,
    payment_id: int,
    invoice_no: str,
    actor: ActorRef,
    now: datetime,
    version: int | None = None,
) -> IncomingView:
    """Matches an unmatched payment to the company's invoice `invoice_no`, as a KID would have
    (matched, settled, partial or overpaid), and posts it.

    Raises:
        NotPermitted, NotFound (no such invoice), InvalidTransition, ConcurrentChange,
        ValidationFailed (a reversal, or another currency than the invoice's or the ledger's).
    """
    with uow:
        opened = _open(uow, actor, payment_id, version, "match")
        company, payment = opened.company, opened.record.payment
        found = uow.incoming.item_by_invoice(company.id, invoice_no.strip())
        if found is None:
            raise NotFound(f"{company.name} has no customer invoice {invoice_no}.")
        item_id, item = found
        if item.open_amount <= 0:
            raise ValidationFailed(
                {
                    "invoice": f"invoice {item.invoice_no} of {item.customer_name} is paid in "
                    "full already: matched to it, the whole payment would be held as that "
                    "customer's credit. Give the invoice it pays, or post it by hand"
                }
            )
        if payment.amount <= 0:
            raise ValidationFailed(
                {"payment": f"payment {payment_id} is a reversal: post it by hand"}
            )
        if not payment.currency == item.currency == company.currency:
            raise ValidationFailed(
                {
                    "currency": f"the payment is in {payment.currency}, invoice "
                    f"{item.invoice_no} in {item.currency}, the ledger in {company.currency}: "
                    "post it by hand"
                }
            )
        match = _settle(payment, item, company.rounding_tolerance)
        accounts = uow.postings.accounts(company.id)
        lines = voucher_lines(
            match,
            bank_account=gl_of(company, payment.account, accounts),
            accounts=accounts,
            company_currency=company.currency,
        )
        text = f"Payment in from {item.customer_name}, invoice {item.invoice_no} (by hand)"
        [(voucher_id, ref)] = post_vouchers(
            uow, company.id, [(payment.payment_date, text, lines)], _poster(opened, now)
        )
        status = IncomingStatus(match.status.value)
        uow.incoming.set_open_amounts({item_id: item.open_amount - match.cleared})
        values = {
            "status": status.value,
            "customer_item_id": item_id,
            "cleared": match.cleared,
            "excess": match.excess,
            "rounding": match.rounding,
            "voucher_id": voucher_id,
            # Why it matched nothing by KID is kept: undone (`undo`), it waits for that again.
            "detail": f"{_BY_HAND}{opened.record.detail})",
        }
        _changed(uow, opened, values, now)
        details = {"invoice": item.invoice_no, "voucher": ref.number, "year": ref.year}
        _audit(uow, opened, "match", status, now, details)
        view = _reread(uow, company, payment_id)
        uow.commit()
    return view


def _settle(payment: IncomingPayment, item: CustomerItem, tolerance: Decimal) -> Match:
    """How a payment settles the invoice a person chose: incoming_match's rules once the
    invoice is known (exact, within the tolerance, less, more)."""
    paid, owed = payment.amount, max(item.open_amount, Decimal(0))
    difference = owed - paid
    if difference == 0:
        return Match(payment, MatchStatus.MATCHED, item, cleared=owed)
    if abs(difference) <= tolerance and owed > 0:
        return Match(payment, MatchStatus.SETTLED, item, cleared=owed, rounding=difference)
    if difference > 0:
        return Match(payment, MatchStatus.PARTIAL, item, cleared=paid)
    return Match(payment, MatchStatus.OVERPAID, item, cleared=owed, excess=paid - owed)


# --- undo -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Undone:
    """What `undo` did: the payment as it is now (unmatched again), the hand step it took back
    ("post" or "match"), the voucher that step posted and the voucher that reverses it; for a
    posting its GL account, for a match its invoice and the amount opened on it again."""

    payment: IncomingView
    undid: str
    voucher: VoucherRef
    reversal: VoucherRef
    account: str | None = None
    invoice_no: str | None = None
    reopened: Decimal = Decimal(0)


def undo(
    uow: UnitOfWork,
    *,
    payment_id: int,
    actor: ActorRef,
    now: datetime,
    today: date,
    version: int | None = None,
) -> Undone:
    """Takes back a payment's hand posting or hand match, as accounting does: nothing is
    deleted or edited. A reversing voucher is posted, dated `today` (the business day), with
    the step's voucher's lines, debit and credit swapped, and a text naming that voucher; a
    match's invoice is opened again by exactly what the match cleared (its credit and rounding
    reversed with the lines); the payment is unmatched again, to be posted, matched or deleted
    anew. Who may: who may post by hand. A match by KID is not undone this way.

    Raises:
        NotPermitted, NotFound, ConcurrentChange (not at `version`), InvalidTransition (not
        posted or matched by hand: unmatched (again), matched by KID, deleted, reversed).
    """
    with uow:
        opened = _locked(uow, actor, payment_id)
        company, record = opened.company, opened.record
        _undoable(record)
        _same_version(record, version, "undo")
        assert record.voucher_id is not None and record.voucher is not None  # _undoable
        undid = "post" if record.status == IncomingStatus.POSTED else "match"
        lines = uow.incoming.voucher_lines(record.voucher_id)
        account = lines[-1].account if undid == "post" else None
        reversing = tuple(replace(line, text=clip(line.text)) for line in mirror_lines(lines))
        step = "posting" if undid == "post" else "match"
        text = (
            f"Reversal of voucher {record.voucher}: hand {step} of incoming payment "
            f"#{record.id} undone"
        )
        [(_, ref)] = post_vouchers(
            uow, company.id, [(today, text, reversing)], _poster(opened, now)
        )
        reopened = Decimal(0)
        if record.customer_item_id is not None and record.cleared:
            uow.incoming.add_to_open_amount(record.customer_item_id, record.cleared)
            reopened = record.cleared
        zero = Decimal(0)
        values = {
            "status": IncomingStatus.UNMATCHED.value,
            "voucher_id": None,
            "customer_item_id": None,
            "cleared": zero,
            "excess": zero,
            "rounding": zero,
            "detail": _detail_before(record),
        }
        _changed(uow, opened, values, now)
        details = {
            "undid": undid,
            "voucher": record.voucher.number,
            "year": record.voucher.year,
            "reversing_voucher": ref.number,
            "reversing_year": ref.year,
            "day": today.isoformat(),
            "account": account,
            "invoice": record.invoice_no,
            "reopened": str(reopened),
        }
        _audit(uow, opened, "undo", IncomingStatus.UNMATCHED, now, details)
        view = _reread(uow, company, payment_id)
        uow.commit()
    return Undone(
        payment=view,
        undid=undid,
        voucher=record.voucher,
        reversal=ref,
        account=account,
        invoice_no=record.invoice_no,
        reopened=reopened,
    )


def _undoable(record: IncomingRecord) -> None:
    """Refuses a payment whose standing is no hand step: one `undo` does not take back."""
    status = IncomingStatus(record.status)
    said = f"Incoming payment {record.id}"
    if status is IncomingStatus.UNMATCHED:
        raise InvalidTransition(
            f"{said} is unmatched: there is nothing to undo (no hand posting or hand match "
            "stands on it; it may have been undone already). Post it or match it by hand."
        )
    if status is IncomingStatus.DELETED:
        raise InvalidTransition(
            f"{said} is deleted ({record.delete_reason}): nothing was posted, so there is "
            "nothing to undo."
        )
    if status is IncomingStatus.REVERSED:
        voucher = f" (voucher {record.voucher})" if record.voucher else ""
        raise InvalidTransition(
            f"{said} is reversed{voucher}: the bank took it back, and that is not undone."
        )
    if status is not IncomingStatus.POSTED and record.handled_by_id is None:
        raise InvalidTransition(
            f"{said} was matched by its KID to invoice {record.invoice_no} as its file came in "
            f"(voucher {record.voucher}): only a posting or a match made by hand is undone here."
        )
    if record.voucher_id is None or record.voucher is None:  # never expected: both post
        raise InvalidTransition(f"{said} has no voucher: there is nothing to undo.")


def _detail_before(record: IncomingRecord) -> str | None:
    """What the payment's detail was before a hand match (which noted it); a posting by hand
    leaves it as it was."""
    detail = record.detail
    if record.status == IncomingStatus.POSTED or detail is None:
        return detail
    if detail.startswith(_BY_HAND) and detail.endswith(")"):
        was = detail[len(_BY_HAND) : -1]
        return None if was == "None" else was
    return detail


def _poster(opened: _Opened, now: datetime) -> Poster:
    return Poster(opened.who.user_id, opened.who.label, now)


def _reread(uow: UnitOfWork, company: CompanyInfo, payment_id: int) -> IncomingView:
    record = uow.incoming.get(payment_id)
    assert record is not None  # locked by this transaction
    return _view(company, record)


def _gl_account(text: str) -> str:
    account = text.strip()
    if not GL_ACCOUNT.fullmatch(account):
        raise ValidationFailed({"account": f"{text!r} is not a GL account number (3 to 10 digits)"})
    return account


def _text(name: str, text: str) -> str:
    words = text.strip()
    if not words:
        raise ValidationFailed({name: "is required"})
    problem = text_problem(words) or (
        f"is {len(words)} characters (at most {TEXT_LENGTH})" if len(words) > TEXT_LENGTH else None
    )
    if problem:
        raise ValidationFailed({name: problem})
    return words
