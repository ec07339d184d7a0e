"""Reading the bank's return files: pain.002 status reports and camt.054 notifications.

A file is parsed whole before anything changes, applied in one transaction, and applied once
(its SHA-256 is recorded). Each answer is applied to the send it names (services.answers, rules
in core.sends), and only where the file may speak for that send: the batch a pain.002 is about,
the account a camt.054 is for, the company whose inbox it came from. References that match no
payment, or that the file may not speak for, are reported, never dropped.
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
from paybot.core.bankfiles.camt054 import read_camt054
from paybot.core.bankfiles.model import (
    BankFileRejected,
    Entry,
    EntryTransaction,
    StatusLevel,
)
from paybot.core.bankfiles.outcomes import Outcome, outcome_of
from paybot.core.bankfiles.pain002 import read_pain002
from paybot.core.bankfiles.safe_xml import refuse_declarations, sniff
from paybot.core.banking_days import banking_time_between
from paybot.core.errors import ConcurrentChange, InvalidTransition, PaybotError
from paybot.core.payments import PaymentView
from paybot.core.policy import Actor
from paybot.core.sends import AlarmKind, Answer, SendState, same_account
from paybot.core.states import Action, PaymentStatus, next_status
from paybot.services import answers
from paybot.services.common import (
    SYSTEM,
    ActorRef,
    audit,
    company_or_error,
)
from paybot.services.holds import signer_looking
from paybot.services.payments import load_payment
from paybot.services.ports import GatewayFactory
from paybot.services.proposals import reflag
from paybot.store.banking import BankAccountSettings
from paybot.store.sends import SendLine
from paybot.store.uow import UnitOfWork

log = logging.getLogger("paybot.returns")

BUSINESS_ZONE = ZoneInfo("Europe/Oslo")
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


@dataclass(frozen=True)
class _Claim:
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


@dataclass
class _Read:
    claims: list[_Claim] = field(default_factory=list)
    incoming: int = 0


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
    kind = _kind(name, data)
    with uow:
        if uow.bank.return_file_seen(digest):
            return IngestResult(name=name, kind=kind, already_applied=True)
    read = _read_pain002(name, data) if kind == "pain.002" else _read_camt(name, data)
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


_MESSAGES = (("CstmrPmtStsRpt", "pain.002"), ("BkToCstmrDbtCdtNtfctn", "camt.054"))


def _kind(name: str, data: bytes) -> str:
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


def _read_pain002(name: str, data: bytes) -> _Read:
    """One claim per report; PART and reports with no status say nothing of their own."""
    read = _Read()
    for report in read_pain002(name, data).reports:
        outcome = outcome_of(report)
        reference = {
            StatusLevel.GROUP: report.original_message_id,
            StatusLevel.PAYMENT_INFO: report.original_payment_info_id,
            StatusLevel.TRANSACTION: report.original_end_to_end_id,
        }[report.level]
        read.claims.append(
            _Claim(
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


def _read_camt(name: str, data: bytes) -> _Read:
    """Bookings of our debits (by EndToEndId, or a whole block by PmtInfId) and returns."""
    read = _Read()
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
                _Claim(
                    reference=str(tx.end_to_end_id),
                    level=StatusLevel.TRANSACTION,
                    answer=Answer.BOOKED,
                    account=entry.account,
                    bank_status="BOOK",
                    booked=None if amount is None else (amount, tx.currency or entry.currency),
                )
            )
        if not ids and entry.batch_payment_info_id:
            read.claims.append(
                _Claim(
                    reference=entry.batch_payment_info_id,
                    level=StatusLevel.PAYMENT_INFO,
                    answer=Answer.BOOKED,
                    account=entry.account,
                    bank_status="BOOK",
                    booked=(entry.amount, entry.currency),
                )
            )
    return read


def _single(entry: Entry) -> Decimal | None:
    """The entry's amount stands for its one transaction's."""
    return entry.amount if len(entry.transactions) == 1 else None


def _returns(entry: Entry, transactions: list[EntryTransaction]) -> list[_Claim]:
    claims = [
        _Claim(
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
            _Claim(
                reference=entry.batch_payment_info_id,
                level=StatusLevel.PAYMENT_INFO,
                answer=Answer.RETURNED,
                account=entry.account,
                bank_status="RTRN",
            )
        )
    return claims


@dataclass
class _Matched:
    said: list[answers.Said] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    # Companies whose sends are named; a foreign reference's company is among them for alarms.
    companies: set[int] = field(default_factory=set)
    foreign_companies: set[int] = field(default_factory=set)
    why: str = ""


def _match(uow: UnitOfWork, claims: list[_Claim], inbox: BankAccountSettings | None) -> _Matched:
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
    claim: _Claim,
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
    zone: ZoneInfo = BUSINESS_ZONE,
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


def resolve_missing(
    uow: UnitOfWork,
    *,
    actor: ActorRef,
    payment_id: int,
    money_left: bool,
    now: datetime,
    gateways: GatewayFactory | None = None,
) -> PaymentView:
    """A signer records what the netbank shows for a payment with no return: paid, or not.

    Paid: its send counts as booked (a person saw the money leave). Not paid: its send is no
    longer live, so the payment may be fixed and signed again; should the bank book that send
    after all, the booking wins (core.sends). "Not paid" is refused while the send's file still
    waits in the bank's outbox (`gateways` tells): the bank may take it yet."""
    if not money_left and gateways is not None:
        _not_waiting_in_the_outbox(uow, gateways, payment_id)
    with uow:
        who, payment, company = signer_looking(
            uow, actor, payment_id, "record what the netbank shows"
        )
        if payment.status is not PaymentStatus.FAILED or payment.failure_kind != "no_return":
            raise InvalidTransition(
                f"Payment {payment.id} is not waiting for a netbank check (it is "
                f"{payment.status.value})."
            )
        current = [s for s in uow.sends.live_of(payment.id) if s.batch_id == payment.batch_id]
        if money_left:
            new_status = next_status(payment.status, Action.CONFIRM, payment_id=payment.id)
            values: dict[str, Any] = {
                "status": new_status.value,
                "paid_at": now,
                "updated_at": now,
                "failure_kind": None,
                "failure_reason": None,
            }
            send_state = SendState.BOOKED
        else:
            new_status = payment.status
            values = {
                "failure_kind": "checked_not_left",
                "batch_id": None,
                "updated_at": now,
                "failure_reason": "No answer from the bank; the netbank shows the money "
                "did not leave. Fix it if needed and sign again.",
            }
            send_state = SendState.NOT_LEFT
        if not uow.payments.compare_and_set(payment.id, payment.version, values):
            raise ConcurrentChange(f"Payment {payment.id} changed just now; look again.")
        uow.sends.set_states([s.id for s in current], send_state, {"updated_at": now})
        if money_left:
            reflag(uow, company.id, {payment.supplier_id})
        else:
            uow.bank.restart_signing([payment.id], now)
        audit(
            uow,
            actor=who,
            action="payment.resolve_missing",
            now=now,
            company_id=company.id,
            payment_id=payment.id,
            before={"status": payment.status.value, "version": payment.version},
            after={"status": new_status.value, "version": payment.version + 1},
            details={"money_left": money_left, "sends": [s.end_to_end_id for s in current]},
        )
        result, _ = load_payment(uow, payment.id)
        uow.commit()
    return result


def _not_waiting_in_the_outbox(uow: UnitOfWork, gateways: GatewayFactory, payment_id: int) -> None:
    """Refuses while the file of the payment's current send is still in the outbox: the netbank
    rightly shows nothing, yet whoever uploads the outbox (a person, an SFTP sync) sends it."""
    with uow:
        payment = uow.payments.get(payment_id)
        if payment is None or payment.batch_id is None:
            return
        batch = uow.bank.batch(payment.batch_id)
        account = uow.bank.account(batch.bank_account_id)
    name = batch.file_name or f"{batch.message_id}.xml"
    if gateways(account).exists(name):
        raise InvalidTransition(
            f"{name}, the file that pays payment {payment_id}, is still waiting in the bank's "
            f"outbox of account {account.account}: whoever uploads the outbox would still send "
            "it. Take it out of the outbox (and make sure it was not uploaded in the netbank by "
            "hand), then record that the money did not leave."
        )


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
    results: list[IngestResult] = []
    for account in accounts:
        try:
            gateway = gateways(account)
            names = gateway.incoming()
        except PaybotError as exc:
            where = f"inbox of {account.account}"
            log.error("%s: %s", where, exc.user_message)
            results.append(IngestResult(name=where, kind="unread", error=exc.user_message))
            continue
        for name in names:
            results.append(_take(uow, gateway, account, name, now, actor))
    return results


def _take(
    uow: UnitOfWork,
    gateway: Any,
    account: BankAccountSettings,
    name: str,
    now: datetime,
    actor: Actor,
) -> IngestResult:
    """One inbox file: fetched, applied, archived; an error is the result, not an exception."""
    try:
        result = ingest(
            uow, name=name, data=gateway.fetch(name), now=now, actor=actor, inbox=account
        )
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
