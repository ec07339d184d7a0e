"""Reading the bank's return files: pain.002 status reports and camt.054 notifications.

A file is parsed whole before anything changes, applied in one transaction, and applied once
(its SHA-256 is recorded). Each answer is applied to the send it names (services.answers, rules
in core.sends), and only where the file may speak for that send: the batch a pain.002 is about,
the account a camt.054 is for, the company whose inbox it came from. References that match no
payment, or that the file may not speak for, are reported, never dropped.

`poll` also hands the incoming payments of an account with an incoming agreement to
services.incoming: an OCR Giro file goes there alone; a camt.054 goes here (its bookings of our
payments out, and their returns) and, where it holds payments in, there too (its credits). Each
side takes the file once (its own record of the file's hash), so a file that one side refused
stays in the inbox and the other side skips it when it is read again.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from paybot.core import alarms as alarm_texts
from paybot.core.bankfiles.claims import Claim, camt054_claims, kind_of, pain002_claims
from paybot.core.bankfiles.model import (
    BankFileRejected,
    StatusLevel,
)
from paybot.core.banking_days import banking_time_between
from paybot.core.errors import PaybotError
from paybot.core.payments import PaymentView
from paybot.core.policy import Actor
from paybot.core.sends import AlarmKind, same_account
from paybot.core.states import PaymentStatus
from paybot.services import answers, incoming
from paybot.services.common import (
    SYSTEM,
    audit,
    company_or_error,
)
from paybot.services.ports import GatewayFactory
from paybot.store.banking import BankAccountSettings
from paybot.store.sends import SendLine
from paybot.store.uow import UnitOfWork

log = logging.getLogger("paybot.returns")

NO_RETURN_REASON = "No answer from the bank: check the netbank before paying again."


@dataclass(frozen=True)
class IngestResult:
    name: str
    kind: str
    already_applied: bool = False
    paid: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    updated: int = 0
    unmatched: list[str] = field(default_factory=list)
    returned: list[int] = field(default_factory=list)  # Paid → Failed: the money came back
    held: list[int] = field(default_factory=list)  # On hold: a person must look
    unchanged: int = 0  # answers that moved no payment: about earlier sends, or said before
    # References of payments the file may not speak for (another company's or account's).
    foreign: list[str] = field(default_factory=list)
    incoming_entries: int = 0
    error: str | None = None  # why the file was not taken (it stays in the inbox)
    archive_error: str | None = None  # taken, but left in the inbox: why (seen again, skipped)
    # The alarms this file raised: money may have left twice, came back, another amount, ...
    warnings: list[str] = field(default_factory=list)
    # What services.incoming did with the file's payments in (OCR Giro, camt.054 credits).
    incoming: incoming.IngestResult | None = None


def ingest(
    uow: UnitOfWork,
    *,
    name: str,
    data: bytes,
    now: datetime,
    actor: Actor = SYSTEM,
    inbox: BankAccountSettings | None = None,
) -> IngestResult:
    """Applies one file from the bank whole, once; a file applied before changes nothing.

    `inbox`: the account whose inbox the file came from; it may then speak only for that
    account's company. Each answer is applied only to a send of the batch (pain.002) or the
    account (camt.054) the file names; the rest is reported and raises an alarm.
    """
    digest = hashlib.sha256(data).hexdigest()
    kind = kind_of(name, data)
    with uow:
        if uow.bank.return_file_seen(digest):
            return IngestResult(name=name, kind=kind, already_applied=True)
    read = pain002_claims(name, data) if kind == "pain.002" else camt054_claims(name, data)
    with uow:
        file_id = uow.bank.claim_return_file(sha256=digest, name=name, kind=kind, now=now)
        if file_id is None:
            return IngestResult(name=name, kind=kind, already_applied=True)
        matched = _match(uow, read.claims, inbox)
        for company_id in sorted(matched.companies):
            uow.bank.lock_company(company_id)  # one company's sends change one story at a time
        applied = answers.apply(uow, matched.said, source=name, now=now, actor=actor)
        if matched.foreign:
            _foreign_alarm(uow, applied, name, digest, matched, inbox, now, actor)
        result = IngestResult(
            name=name,
            kind=kind,
            paid=applied.paid,
            failed=applied.failed,
            updated=applied.updated,
            unmatched=matched.unmatched,
            returned=applied.returned,
            held=applied.held,
            unchanged=applied.unchanged,
            foreign=matched.foreign,
            incoming_entries=read.incoming,
            warnings=list(dict.fromkeys(alarm.message for alarm in applied.alarms)),
        )
        summary = {
            "paid": result.paid,
            "failed": result.failed,
            "updated": result.updated,
            "unmatched": result.unmatched,
            "returned": result.returned,
            "held": result.held,
            "foreign": result.foreign,
            "incoming_entries": result.incoming_entries,
        }
        uow.bank.set_return_summary(file_id, summary)
        audit(
            uow,
            actor=actor,
            action="returns.ingest",
            now=now,
            company_id=inbox.company_id if inbox else None,
            details={"file": name, "kind": kind, "sha256": digest, **summary},
        )
        uow.commit()
    answers.log_alarms(applied.alarms)
    return result


@dataclass
class _Matched:
    said: list[answers.Said] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    # Companies whose sends are named; a foreign reference's company is among them for alarms.
    companies: set[int] = field(default_factory=set)
    foreign_companies: set[int] = field(default_factory=set)
    why: str = ""


def _match(uow: UnitOfWork, claims: list[Claim], inbox: BankAccountSettings | None) -> _Matched:
    """Each claim's sends, kept only where the file may speak for them. For pain.002 the most
    specific report wins (transaction over payment-info over group) for each send."""
    matched = _Matched()
    by_e2e = uow.sends.by_end_to_end(c.reference for c in claims if c.level is _TX)
    by_block = uow.sends.by_payment_info(c.reference for c in claims if c.level is _BLOCK)
    by_batch = uow.sends.by_message(c.reference for c in claims if c.level is _GROUP)
    inbox_accounts = [] if inbox is None else uow.bank.accounts(inbox.company_id)
    chosen: dict[int, tuple[int, answers.Said]] = {}  # send id -> (level rank, what was said)
    bookings: list[answers.Said] = []
    for claim in claims:
        found = {
            _TX: [by_e2e[claim.reference]] if claim.reference in by_e2e else [],
            _BLOCK: by_block.get(claim.reference, []),
            _GROUP: by_batch.get(claim.reference, []),
        }[claim.level]
        if not found:
            matched.unmatched.append(claim.reference)
            continue
        why = _not_ours(claim, found, inbox, inbox_accounts)
        if why:
            matched.foreign.append(claim.reference)
            matched.foreign_companies.update(s.company_id for s in found)
            matched.why = why
            continue
        if claim.answer is None:
            continue  # PART: only the reports below it say anything
        matched.companies.update(s.company_id for s in found)
        booked = claim.booked
        if claim.level is _BLOCK and booked is not None:
            booked = _block_total(found, booked)
        for send in found:
            said = answers.Said(
                send=send,
                answer=claim.answer,
                names_it=claim.level is _TX,
                bank_status=claim.bank_status,
                reasons=claim.reasons,
                text=claim.text,
                booked=booked,
                instructed=claim.instructed,
            )
            if claim.message_id is None:  # camt.054: every booking and return, in file order
                bookings.append(said)
                continue
            rank = _RANK[claim.level]
            if send.id not in chosen or chosen[send.id][0] <= rank:
                chosen[send.id] = (rank, said)
    matched.said = [said for _, said in chosen.values()] + bookings
    return matched


_TX, _BLOCK, _GROUP = StatusLevel.TRANSACTION, StatusLevel.PAYMENT_INFO, StatusLevel.GROUP
_RANK = {_GROUP: 0, _BLOCK: 1, _TX: 2}


def _block_total(sends: list[SendLine], booked: tuple[Decimal, str]) -> tuple[Decimal, str] | None:
    """A booking of a whole block: when its total is the block's, each send was booked as sent;
    otherwise the total differs and every payment of the block is held."""
    amount, currency = booked
    currencies = {s.currency for s in sends}
    if currencies == {currency.upper()} and sum(s.amount for s in sends) == amount:
        return None
    return booked


def _not_ours(
    claim: Claim,
    sends: list[SendLine],
    inbox: BankAccountSettings | None,
    inbox_accounts: list[BankAccountSettings],
) -> str:
    """Why the file may not speak for these sends, or "" if it may."""
    if inbox is not None and any(s.company_id != inbox.company_id for s in sends):
        return "they belong to another company than the inbox the file came from"
    if claim.message_id is not None and any(s.message_id != claim.message_id for s in sends):
        return f"they were not sent in {claim.message_id}, the file the report is about"
    if claim.message_id is None:
        if claim.account is None:
            return "the file names no account"
        if not all(same_account(claim.account, s.account) for s in sends):
            return f"they were not paid from {claim.account}, the account the file is for"
        ours = any(same_account(claim.account, a.account) for a in inbox_accounts)
        if inbox is not None and not ours:
            return f"{claim.account} is not an account of the inbox's company"
    return ""


def _foreign_alarm(
    uow: UnitOfWork,
    applied: answers.Applied,
    name: str,
    digest: str,
    matched: _Matched,
    inbox: BankAccountSettings | None,
    now: datetime,
    actor: Actor,
) -> None:
    """Said to the inbox's company, and to each company whose payments the file named."""
    message = alarm_texts.foreign(
        name, matched.foreign, matched.why, None if inbox is None else inbox.account
    )
    targets = set(matched.foreign_companies)
    if inbox is not None:
        targets.add(inbox.company_id)
    for company_id in sorted(targets):
        answers.raise_alarm(
            uow,
            applied,
            key=f"foreign:{digest[:32]}:{company_id}",
            company_id=company_id,
            kind=AlarmKind.FOREIGN,
            message=message,
            details={"file": name, "references": matched.foreign[:50], "why": matched.why},
            now=now,
            actor=actor,
        )


def check_missing(
    uow: UnitOfWork,
    *,
    company_org_no: str | None = None,
    now: datetime,
    after: timedelta = timedelta(hours=24),
    zone: ZoneInfo,
    actor: Actor = SYSTEM,
) -> list[int]:
    """Processing payments with no answer for `after` of banking time become Failed (no return).

    Their send stays live: the money may still leave, so they cannot be signed again until a
    signer has looked at the netbank (`resolve_missing`)."""
    with uow:
        company_id = None if company_org_no is None else company_or_error(uow, company_org_no).id
        # Banking time never runs faster than the clock: older than `after` is a cheap pre-filter.
        candidates = uow.bank.processing_since(company_id, now - after)
        late = [
            (pid, v)
            for pid, v, sent in candidates
            if banking_time_between(sent, now, zone) >= after
        ]
        changed: list[int] = []
        for payment_id, version in late:
            # Compare-and-set: an answer applied meanwhile wins over "no answer".
            if not uow.payments.compare_and_set(
                payment_id,
                version,
                {
                    "status": PaymentStatus.FAILED.value,
                    "failure_kind": "no_return",
                    "failure_reason": NO_RETURN_REASON,
                    "updated_at": now,
                },
            ):
                continue
            changed.append(payment_id)
            payment = uow.payments.get(payment_id)
            audit(
                uow,
                actor=actor,
                action="payment.no_return",
                now=now,
                company_id=None if payment is None else _company_id(uow, payment),
                payment_id=payment_id,
                before={"status": PaymentStatus.PROCESSING.value, "version": version},
                after={"status": PaymentStatus.FAILED.value, "version": version + 1},
                details={"reason": NO_RETURN_REASON, "waited": str(after)},
            )
        uow.commit()
    return changed


def _company_id(uow: UnitOfWork, payment: PaymentView) -> int:
    return company_or_error(uow, payment.company_org_no).id


def poll(
    uow: UnitOfWork,
    gateways: GatewayFactory,
    *,
    company_org_no: str | None = None,
    now: datetime,
    actor: Actor = SYSTEM,
) -> list[IngestResult]:
    """Applies every file waiting in the inbox of each account, then archives it there.

    A file that cannot be taken stays in the inbox and is reported; an inbox that cannot be read
    is reported; the other files and inboxes still go.
    """
    with uow:
        companies = (
            uow.companies.all()
            if company_org_no is None
            else [company_or_error(uow, company_org_no)]
        )
        accounts = [a for c in companies for a in uow.bank.accounts(c.id)]
    # The accounts with an incoming agreement, and each company's organisation number.
    agreed = {(c.id, a.account) for c in companies for a in c.accounts if a.incoming}
    org_nos = {c.id: c.org_no for c in companies}
    results: list[IngestResult] = []
    for account in accounts:
        try:
            gateway = gateways(account)
            names = gateway.incoming()
        except PaybotError as exc:
            where = f"inbox of {account.account}"
            log.error("%s: %s", where, exc.user_message)
            results.append(IngestResult(name=where, kind="unread", error=exc.user_message))
            _record_poll(uow, account, now, error=exc.user_message)
            continue
        for name in names:
            takes_incoming = (account.company_id, account.account) in agreed
            inbox = _Inbox(account, org_nos[account.company_id], takes_incoming)
            results.append(_take(uow, gateway, inbox, name, now, actor))
        _record_poll(uow, account, now)
    return results


def _incoming(
    uow: UnitOfWork, inbox: _Inbox, name: str, data: bytes, now: datetime, actor: Actor
) -> incoming.IngestResult:
    """The file's payments in, for the inbox's company: refused (naming the account) where
    the account has no incoming agreement."""
    return incoming.ingest(
        uow, company_org_no=inbox.company_org_no, source=name, data=data, now=now, actor=actor
    )


def _record_poll(
    uow: UnitOfWork, account: BankAccountSettings, now: datetime, *, error: str | None = None
) -> None:
    """When the inbox was read (or reading it failed): the metrics and health read it there."""
    with uow:
        if error is None:
            uow.polls.succeeded(account.id, now)
        else:
            uow.polls.failed(account.id, now, error)
        uow.commit()


@dataclass(frozen=True)
class _Inbox:
    account: BankAccountSettings
    company_org_no: str
    takes_incoming: bool  # the account has an incoming agreement


def _take(
    uow: UnitOfWork,
    gateway: Any,
    inbox: _Inbox,
    name: str,
    now: datetime,
    actor: Actor,
) -> IngestResult:
    """One inbox file: fetched, applied, archived; an error is the result, not an exception."""
    try:
        data = gateway.fetch(name)
        if incoming.kind_of(data) == incoming.OCR_GIRO:  # payments in only
            taken = _incoming(uow, inbox, name, data, now, actor)
            result = IngestResult(name=name, kind=taken.kind, incoming=taken)
        else:
            result = ingest(uow, name=name, data=data, now=now, actor=actor, inbox=inbox.account)
            if inbox.takes_incoming and result.kind == "camt.054":
                result = replace(result, incoming=_incoming(uow, inbox, name, data, now, actor))
    except BankFileRejected as exc:
        return IngestResult(name=name, kind="rejected", error=exc.user_message)
    except PaybotError as exc:
        return IngestResult(name=name, kind="unread", error=exc.user_message)
    try:
        gateway.archive(name)
    except PaybotError as exc:
        # Applied; it stays in the inbox and is recognised (and skipped) next time.
        log.error("%s was applied but not archived: %s", name, exc.user_message)
        return replace(result, archive_error=exc.user_message)
    return result
