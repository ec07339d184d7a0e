"""A model-based search for ways to pay twice, pay wrong, pay unsigned or lose a payment, on both
databases: two companies with their own inboxes, three signers with limits under dual control, an
approver; approvals, fixes (account or reference), signatures, unsigning, deleting, restoring,
supplier imports that move the registered account, ledger re-imports that try to change a
signed item; dispatch with crashes between its steps and uploads that fail or break off; a bank
that keeps its own books (what it received, rejected, booked, returned, what a person stopped in
the netbank) and whose files arrive late, in any order, twice, again in new files, in the other
company's inbox or about the wrong batch; people who look at the netbank and say what it shows.

After every step:
- money leaves at most once per payment, unless paybot raised an alarm for that payment as soon
  as it read the bookings (a netbank check may truly say "not left" of a send still pending);
- a payment is Paid (or On hold) only if the bank booked it, and Paid to the account the money
  went to; once every file has arrived, money the bank booked is never left in a state that
  offers it for paying again;
- the bank received only payments whose last completed signature covers them: signers whose
  per-payment limits hold, two when the amount or the account asks for it, never only editors,
  the same round, the same account and amount the signers saw; no signer's standing signatures
  of one day exceed their daily limit;
- nothing is silently stuck: Due waits for a dispatcher (or its claimed batch), Processing for a
  live send at the bank, On hold has its alarm; a live send is its payment's current one;
- a file read twice changes nothing; a file in the wrong inbox, or naming a send under another
  batch, changes no payment and no send; a ledger item imported again with another amount or
  account is refused and changes nothing.

What paybot is known to get wrong is left out here, as each has its own failing test
(test_answers_redteam.py): a block booked whole (or a file settled whole) after one of its sends
was rejected by name, stopped in the netbank or taken out of the file; a fix of a payment whose
send may still leave. PAYBOT_REDTEAM_KNOWN=1 lets them in (this test then fails within a few
hundred examples): for a run once they are fixed.
"""

from __future__ import annotations

import io
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Connection, Engine, bindparam, create_engine, select, text
from stdnum import luhn

from paybot.bank.directory import DirectoryGateway
from paybot.bank.sandbox import read_order
from paybot.core.bankfiles.camt054 import write_camt054
from paybot.core.bankfiles.model import (
    Entry,
    EntryTransaction,
    Notification,
    StatusLevel,
    StatusReport,
)
from paybot.core.bankfiles.pain002 import write_pain002
from paybot.core.company import DispatchTiming
from paybot.core.errors import ImportRejected, PaybotError
from paybot.core.ledger_file import OpenItemRow
from paybot.core.payments import ReferenceType
from paybot.core.policy import Role
from paybot.services import (
    companies,
    dispatching,
    ledger,
    netbank,
    payments,
    people,
    proposals,
    returns,
    signing,
)
from paybot.services.common import ActorRef
from paybot.services.dispatching import DispatchOptions
from paybot.services.ports import UploadNotStarted
from paybot.store import db, tables
from paybot.store.banking import BankAccountSettings
from paybot.store.base import Base
from paybot.store.uow import UnitOfWork
from tests.builders import (
    ACCOUNT_A,
    ACCOUNT_B,
    APPROVER,
    COMPANY_ACCOUNT,
    NOW,
    ORG_NO,
    OSLO,
    SIGNER,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    enrolled,
    sign_with,
)

EXAMPLES = int(os.environ.get("PAYBOT_REDTEAM_EXAMPLES", "10"))
STEPS = int(os.environ.get("PAYBOT_REDTEAM_STEPS", "30"))
# PAYBOT_REDTEAM_KNOWN=1: see the module's docstring.
KNOWN = os.environ.get("PAYBOT_REDTEAM_KNOWN", "0") != "0"
# PAYBOT_REDTEAM_SHRINK=0 for long searches: a failure is reported as found, not shrunk.
PHASES = tuple(
    phase
    for phase in Phase
    if phase is not Phase.shrink or os.environ.get("PAYBOT_REDTEAM_SHRINK", "1") != "0"
)

BETA = "920000002"
BETA_ACCOUNT = "15030100023"
THRESHOLD = Decimal("2000.00")  # Acme's dual-control threshold
SIGNER2, SIGNER3 = ActorRef("USIGNER2"), ActorRef("USIGNER3")
BETA_SIGNER = ActorRef("UBETA1")
# Acme's signers' limits (None: none): per payment, per day.
LIMITS: dict[str, tuple[Decimal | None, Decimal | None]] = {
    SIGNER.slack_user_id: (Decimal("1000.00"), Decimal("1500.00")),
    SIGNER2.slack_user_id: (None, None),
    SIGNER3.slack_user_id: (Decimal("5000.00"), None),
}
# Acme: one a limited signer may sign alone, one above that signer's limit, one above the
# dual-control threshold. Beta: one.
ACME_AMOUNTS = (Decimal("600.00"), Decimal("1500.00"), Decimal("2600.00"))
BETA_AMOUNTS = (Decimal("700.00"),)

_kids = count(7000)
_runs = count(1)
# How an upload goes: most reach the bank; some are refused, some break off after the file left.
UPLOADS = st.sampled_from(["ok"] * 3 + ["refused", "cut_off"])
REACHED: Counter[str] = Counter()


def a_kid() -> str:
    body = f"{next(_kids):09d}"
    return body + luhn.calc_check_digit(body)


class Crash(BaseException):
    """paybot's process dies at a dispatch step (nothing after it runs)."""


@dataclass
class AtBank:
    """One transaction as the bank knows it: what the file said, and what became of it."""

    e2e: str
    payment_id: int
    org_no: str
    amount: Decimal
    creditor: str
    message: str
    block: str
    state: str = "received"  # accepted, rejected, booked, returned, stopped


@dataclass(frozen=True)
class Said:
    """A file the bank wrote, by kind and content, for the inbox of `org_no`."""

    org_no: str
    kind: str  # pain.002 or camt.054
    content: tuple[Any, ...]


class Wire:
    """The connection to the bank of one account: it may refuse (nothing written) or break off
    after the file was written (the bank has it; paybot is not told)."""

    def __init__(self, folders: DirectoryGateway, bank: Bank) -> None:
        self.folders, self.bank = folders, bank

    def upload(self, name: str, data_path: Path) -> None:
        if self.bank.mode == "refused":
            raise UploadNotStarted("connection refused")
        self.folders.upload(name, data_path)
        if self.bank.mode == "cut_off":
            raise ConnectionResetError("connection reset after the file was written")

    def exists(self, name: str) -> bool:
        return self.folders.exists(name)

    def incoming(self) -> list[str]:
        return self.folders.incoming()

    def fetch(self, name: str) -> bytes:
        return self.folders.fetch(name)

    def archive(self, name: str) -> None:
        self.folders.archive(name)


class Bank:
    """The bank's own books: every transaction of every file it received, by EndToEndId."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.mode = "ok"
        self.sends: dict[str, AtBank] = {}
        self.files_seen: set[Path] = set()

    def wire(self, account: BankAccountSettings) -> Wire:
        folder = self.root / account.account
        return Wire(DirectoryGateway(folder / "outbox", folder / "inbox"), self)

    def receive(self, org_of_account: dict[str, str]) -> list[AtBank]:
        """The bank reads the files newly in its outboxes; returns their transactions."""
        new: list[AtBank] = []
        for path in sorted(self.root.glob("*/outbox/PAYBOT-B*.xml")):
            if path in self.files_seen:
                continue
            self.files_seen.add(path)
            org_no = org_of_account[path.parent.parent.name]
            for ordered in read_order(path.read_bytes()):
                assert ordered.end_to_end_id not in self.sends, (
                    f"{ordered.end_to_end_id} reached the bank twice"
                )
                send = AtBank(
                    e2e=ordered.end_to_end_id,
                    payment_id=int(ordered.end_to_end_id.split("-")[1][1:]),
                    org_no=org_no,
                    amount=ordered.amount,
                    creditor=ordered.creditor_account,
                    message=ordered.message_id,
                    block=ordered.payment_info_id,
                )
                self.sends[send.e2e] = send
                new.append(send)
        return new

    def in_state(self, *states: str) -> list[AtBank]:
        return [s for s in self.sends.values() if s.state in states]

    def booked(self, payment_id: int, state: str = "booked") -> list[AtBank]:
        """The payment's sends whose money left (or, with `state`, in that state)."""
        return [s for s in self.sends.values() if s.payment_id == payment_id and s.state == state]

    def pending(self, payment_id: int) -> list[AtBank]:
        return [
            s
            for s in self.sends.values()
            if s.payment_id == payment_id and s.state in ("received", "accepted")
        ]


@dataclass(frozen=True)
class Completed:
    """What the signers of a payment's completing signature saw and who they were."""

    account: str | None
    amount: Decimal
    round: int
    signers: frozenset[int]


class MoneyModel(RuleBasedStateMachine):
    fresh: Callable[[], Engine]
    root: Path

    def __init__(self) -> None:
        super().__init__()
        self.folder = self.root / f"run{next(_runs)}"
        self.folder.mkdir()
        self.engine = self.fresh()
        self.uow = UnitOfWork(self.engine)
        self.bank = Bank(self.folder / "bank")
        self.now = NOW
        self.numbers = count(1)
        self.pending: list[Said] = []  # written by the bank, not yet read by paybot
        self.delivered: list[tuple[Said, bytes]] = []
        self.completed: dict[int, Completed] = {}

    def teardown(self) -> None:
        # What the runs reached: PAYBOT_REDTEAM_REACHED=1 prints it after the test (with -s).
        if hasattr(self, "acme"):
            with self.engine.connect() as connection:
                for (status,) in connection.execute(text("SELECT DISTINCT status FROM payments")):
                    REACHED[f"a payment ended {status}"] += 1
                for (kind,) in connection.execute(text("SELECT DISTINCT kind FROM alarms")):
                    REACHED[f"alarm {kind}"] += 1
            for state in {s.state for s in self.bank.sends.values()}:
                REACHED[f"the bank ended with a send {state}"] += 1
        self.engine.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)

    # --- the world ---------------------------------------------------------------------------

    @initialize()
    def two_companies(self) -> None:
        uow = self.uow
        phone = a_company(uow)
        assert phone is not None
        self.phones: dict[str, Authenticator] = {SIGNER.slack_user_id: phone}
        for ref in (SIGNER2, SIGNER3):
            people.add_user(
                uow,
                company_org_no=ORG_NO,
                slack_user_id=ref.slack_user_id,
                name=f"Signer {ref.slack_user_id}",
                roles=[Role.SIGNER],
                now=NOW,
            )
            self.phones[ref.slack_user_id] = enrolled(uow, ref)
        for slack_id, (per_payment, per_day) in LIMITS.items():
            people.set_user(
                uow,
                company_org_no=ORG_NO,
                user=ActorRef(slack_id),
                max_per_payment=per_payment,
                max_per_day=per_day,
                now=NOW,
            )
        companies.update_settings(
            uow,
            org_no=ORG_NO,
            timing=DispatchTiming.IMMEDIATE,
            dual_control_threshold=THRESHOLD,
            now=NOW,
        )
        companies.add_company(
            uow, org_no=BETA, name="Beta AS", account=BETA_ACCOUNT, bank="DNB", now=NOW
        )
        companies.update_settings(uow, org_no=BETA, timing=DispatchTiming.IMMEDIATE, now=NOW)
        people.add_user(
            uow,
            company_org_no=BETA,
            slack_user_id=BETA_SIGNER.slack_user_id,
            name="Bente Beta",
            roles=[Role.SIGNER],
            now=NOW,
        )
        self.phones[BETA_SIGNER.slack_user_id] = enrolled(uow, BETA_SIGNER, BETA)
        self.accounts: dict[str, BankAccountSettings] = {}
        for org_no, account in ((ORG_NO, COMPANY_ACCOUNT), (BETA, BETA_ACCOUNT)):
            companies.set_bank_account(
                uow, org_no=org_no, account=account, values={"gateway": "directory"}, now=NOW
            )
            with uow:
                company = uow.companies.get(org_no)
                assert company is not None
                [self.accounts[org_no]] = uow.bank.accounts(company.id)
        self.org_of_account = {a.account: org for org, a in self.accounts.items()}
        self.items: dict[int, OpenItemRow] = {}
        for org_no, amounts in ((ORG_NO, ACME_AMOUNTS), (BETA, BETA_AMOUNTS)):
            rows = [an_item(amount=amount, reference=a_kid()) for amount in amounts]
            ledger.import_suppliers(
                uow, company_org_no=org_no, source="s.csv", rows=[a_supplier()], now=NOW
            )
            ledger.import_open_items(uow, company_org_no=org_no, source="i.csv", rows=rows, now=NOW)
            proposals.refresh(uow, company_org_no=org_no, now=NOW)
            by_voucher = {row.voucher_no: row for row in rows}
            for payment in proposals.list_payments(uow, company_org_no=org_no):
                self.items[payment.id] = by_voucher[payment.voucher_no]
        with self.engine.connect() as connection:
            self.user_ids = {
                slack: uid
                for uid, slack in connection.execute(text("SELECT id, slack_user_id FROM users"))
            }
        self.limits = {self.user_ids[slack]: limits for slack, limits in LIMITS.items()}
        self.acme = sorted(pid for pid in self.items if self.company_of(pid) == ORG_NO)
        self.beta = sorted(pid for pid in self.items if self.company_of(pid) == BETA)

    # --- people ------------------------------------------------------------------------------

    @rule(data=st.data(), who=st.sampled_from(sorted(LIMITS)))
    def sign(self, data: st.DataObject, who: str) -> None:
        self.sign_as(who, data.draw(st.sampled_from(self.acme)))

    @rule(data=st.data(), order=st.permutations(sorted(LIMITS)), upload=UPLOADS)
    def signed_by_two_and_sent(self, data: st.DataObject, order: list[str], upload: str) -> None:
        """Common runs in one step, so that deep states come within a short run."""
        payment_id = data.draw(st.sampled_from(self.acme + self.beta))
        if payment_id in self.beta:
            self.sign_as(BETA_SIGNER.slack_user_id, payment_id)
        for who in order[:2]:
            self.sign_as(who, payment_id)
        self.dispatch_now(None, upload)

    @rule(upload=UPLOADS)
    def all_signed_by_two_and_sent_together(self, upload: str) -> None:
        """Several payments in one file, one block: what the bank answers for a block or a file
        then concerns them all."""
        for payment_id in self.acme:
            for who in (SIGNER2.slack_user_id, SIGNER3.slack_user_id):
                self.sign_as(who, payment_id)
        self.dispatch_now(None, upload)

    @rule(
        data=st.data(),
        action=st.sampled_from(["approve", "unsign", "delete", "restore"]),
    )
    def a_person_acts(self, data: st.DataObject, action: str) -> None:
        payment_id = data.draw(st.sampled_from(self.acme))
        if action == "unsign":
            self.attempt(signing.unsign, actor=SIGNER2, payment_id=payment_id)
            return
        act = {"approve": payments.approve, "delete": payments.delete}.get(action, payments.restore)
        self.attempt(act, actor=APPROVER, payment_ids=[payment_id])

    @rule(
        data=st.data(),
        who=st.sampled_from([SIGNER, SIGNER2, APPROVER]),
        what=st.sampled_from(["account_a", "account_b", "kid"]),
    )
    def fix(self, data: st.DataObject, who: ActorRef, what: str) -> None:
        """Not of a payment the bank has paid, or may still pay, an earlier send of (booked, or
        neither rejected nor stopped), though paybot does not know it yet: paybot allows that
        fix, and records the payment paid to the fixed account when it hears of the booking
        (test_answers_redteam.py)."""
        fixable = [
            p for p in self.acme if KNOWN or not (self.bank.pending(p) or self.bank.booked(p))
        ]
        if not fixable:
            return
        payment_id = data.draw(st.sampled_from(fixable))
        if what == "kid":
            change: dict[str, Any] = {"reference_type": ReferenceType.KID, "reference": a_kid()}
        else:
            change = {"account": ACCOUNT_A if what == "account_a" else ACCOUNT_B}
        self.attempt(payments.fix, actor=who, payment_id=payment_id, **change)

    @rule(
        data=st.data(),
        what=st.sampled_from(["registered_a", "registered_b", "amount", "account"]),
    )
    def the_ledger_is_imported_again(self, data: st.DataObject, what: str) -> None:
        """The supplier's registered account moves; or an item comes again with another amount
        or account (refused whole: a voucher never changes)."""
        if what.startswith("registered"):
            account = ACCOUNT_A if what == "registered_a" else ACCOUNT_B
            rows = [a_supplier(account=account)]
            ledger.import_suppliers(
                self.uow, company_org_no=ORG_NO, source="s2.csv", rows=rows, now=self.now
            )
            return
        item = self.items[data.draw(st.sampled_from(self.acme))]
        changed = (
            replace(item, amount=item.amount + 1)
            if what == "amount"
            else replace(item, account=ACCOUNT_B if item.account != ACCOUNT_B else ACCOUNT_A)
        )
        before = self.snapshot()
        with pytest.raises(ImportRejected):
            ledger.import_open_items(
                self.uow, company_org_no=ORG_NO, source="again.csv", rows=[changed], now=self.now
            )
        assert self.snapshot() == before

    @precondition(lambda self: bool(self.in_states(("failed", "no_return"))))
    @rule(data=st.data(), stop=st.sampled_from([False, False, True]))
    def netbank_check(self, data: st.DataObject, stop: bool) -> None:
        """A signer looks at the netbank and says truly whether the money left; if it did not,
        they may also stop what the bank still has of it (`stop`)."""
        payment_id = data.draw(st.sampled_from(self.in_states(("failed", "no_return"))))
        money_left = bool(self.bank.booked(payment_id))
        if not money_left and stop:
            for send in self.bank.pending(payment_id):
                send.state = "stopped"
        self.attempt(
            netbank.resolve_missing, actor=SIGNER, payment_id=payment_id, money_left=money_left
        )

    @precondition(lambda self: bool(self.in_states(("on_hold", None))))
    @rule(data=st.data())
    def settle_hold(self, data: st.DataObject) -> None:
        """As the alarm asks: whatever of it the bank still has is stopped; then the truth."""
        payment_id = data.draw(st.sampled_from(self.in_states(("on_hold", None))))
        for send in self.bank.pending(payment_id):
            send.state = "stopped"
        paid = bool(self.bank.booked(payment_id))
        self.attempt(netbank.resolve_hold, actor=SIGNER, payment_id=payment_id, paid=paid)

    # --- paybot's jobs -----------------------------------------------------------------------

    @rule(
        crash=st.sampled_from([None] * 4 + ["prepared", "written", "uploading", "uploaded"]),
        upload=UPLOADS,
    )
    def dispatch(self, crash: str | None, upload: str) -> None:
        self.dispatch_now(crash, upload)

    @rule(days=st.sampled_from([0, 4]))
    def check_missing(self, days: int) -> None:
        self.now += timedelta(days=days)
        returns.check_missing(self.uow, now=self.now, zone=OSLO)

    # --- the bank ----------------------------------------------------------------------------

    @precondition(lambda self: bool(self.bank.in_state("received", "accepted", "booked")))
    @rule(
        data=st.data(),
        what=st.sampled_from(
            [
                "accept",
                "accept_file",
                "reject",
                "book",
                "book",
                "book_block",
                "execute_block",
                "execute_block",
                "settle",
                "settle_file",
                "return",
            ]
        ),
        deliver=st.booleans(),
    )
    def the_bank_decides(self, data: st.DataObject, what: str, deliver: bool) -> None:
        """The bank answers about a send it has: a pain.002 (accepted, rejected, settled) or a
        camt.054 (booked alone or with its block, or returned); read at once or later."""
        wanted = ("booked",) if what == "return" else ("received", "accepted")
        candidates = self.bank.in_state(*wanted)
        if not candidates:
            return
        send = data.draw(st.sampled_from(candidates))
        said: Said | None
        if what == "accept":
            send.state = "accepted"
            said = Said(send.org_no, "pain.002", tuple(self.reports(send, "ACSP")))
        elif what == "accept_file":
            for each in self.bank.in_state("received"):
                if each.message == send.message:
                    each.state = "accepted"
            said = Said(
                send.org_no, "pain.002", (StatusReport(StatusLevel.GROUP, send.message, "ACSP"),)
            )
        elif what == "reject":
            send.state = "rejected"
            said = Said(send.org_no, "pain.002", tuple(self.reports(send, "RJCT", "AC04")))
        elif what == "settle":  # pain.002 ACSC for the transaction: settled, the money left
            send.state = "booked"
            said = Said(send.org_no, "pain.002", tuple(self.reports(send, "ACSC")))
        elif what == "return":
            send.state = "returned"
            said = Said(send.org_no, "camt.054", (self.entry(send, returned=True),))
        elif what == "execute_block":
            self.execute_block(send, deliver, data.draw(st.booleans()))
            return
        elif what == "book_block":
            said = self.book_block(send)
        elif what == "settle_file":
            said = self.settle_file(send)
        else:
            send.state = "booked"
            said = Said(send.org_no, "camt.054", (self.entry(send),))
        if said is not None:
            self.bank_writes(said, deliver)

    @precondition(lambda self: bool(self.pending))
    @rule(data=st.data())
    def a_file_arrives(self, data: st.DataObject) -> None:
        """Any waiting file, not necessarily the oldest: files arrive out of order."""
        said = self.pending.pop(data.draw(st.integers(0, len(self.pending) - 1)))
        self.read(said)

    @precondition(lambda self: bool(self.delivered))
    @rule(
        data=st.data(),
        how=st.sampled_from(["read_again", "said_again", "other_inbox", "other_batch"]),
    )
    def a_file_comes_again_or_astray(self, data: st.DataObject, how: str) -> None:
        """The same file read twice; its answers again in a new file; a file in the other
        company's inbox; a report naming a send under another batch's MsgId."""
        said, raw = data.draw(st.sampled_from(self.delivered))
        if how == "said_again":
            self.read(said)
            return
        before = self.snapshot(with_alarms=how == "read_again")
        if how == "read_again":
            result = returns.ingest(
                self.uow, name="again.xml", data=raw, now=self.now, inbox=self.accounts[said.org_no]
            )
            assert result.already_applied
        elif how == "other_inbox":
            other = BETA if said.org_no == ORG_NO else ORG_NO
            returns.ingest(
                self.uow,
                name=f"f{next(self.numbers)}.xml",
                data=self.write(said),
                now=self.now,
                inbox=self.accounts[other],
            )
        else:
            messages = sorted({s.message for s in self.bank.sends.values()})
            send = data.draw(st.sampled_from(sorted(self.bank.sends.values(), key=_e2e)))
            if len(messages) < 2:
                return
            wrong = data.draw(st.sampled_from([m for m in messages if m != send.message]))
            status = data.draw(st.sampled_from(["RJCT", "ACSC", "ACSP"]))
            reports = (
                StatusReport(StatusLevel.GROUP, wrong, "PART"),
                StatusReport(StatusLevel.PAYMENT_INFO, wrong, "PART", send.block),
                StatusReport(
                    StatusLevel.TRANSACTION,
                    wrong,
                    status,
                    original_payment_info_id=send.block,
                    original_end_to_end_id=send.e2e,
                    reason_codes=("AC04",) if status == "RJCT" else (),
                ),
            )
            self.read(Said(send.org_no, "pain.002", reports), keep=False)
        assert self.snapshot(with_alarms=how == "read_again") == before, how

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def money_and_states_hold(self) -> None:
        with self.engine.connect() as connection:
            found = connection.execute(
                text("SELECT id, status, failure_kind, batch_id, account FROM payments ORDER BY id")
            ).all()
            lines = connection.execute(
                text(
                    "SELECT bp.payment_id, bp.batch_id, bp.status, b.status FROM batch_payments bp "
                    "JOIN batches b ON b.id = bp.batch_id"
                )
            ).all()
            alarms: dict[int, set[str]] = {}
            for payment_id, kind in connection.execute(
                text("SELECT payment_id, kind FROM alarms WHERE payment_id IS NOT NULL")
            ):
                alarms.setdefault(payment_id, set()).add(kind)
        for payment_id, status, kind, batch_id, account in found:
            told = alarms.get(payment_id, set())
            booked = self.bank.booked(payment_id)
            mine = [line for line in lines if line[0] == payment_id]
            # Money leaves at most once, unless a person was told as soon as paybot read the
            # bookings (the second may come after a netbank check that said "not left").
            if len(booked) > 1 and not self.pending:
                assert told & {"twice", "booked_twice"}, (payment_id, status, booked, told)
            # Paid or On hold only if the bank booked money for it (which may have come back
            # in a file not read yet); once every file is read, only if it is still booked.
            ever = booked or self.bank.booked(payment_id, "returned")
            if status in ("paid", "posted"):
                assert ever, f"payment {payment_id} is {status} but the bank booked nothing"
                # Recorded as paid to the account the money went to.
                assert account in {s.creditor for s in ever}, (payment_id, account, ever)
                if not self.pending and not booked:
                    assert "returned" in told, (payment_id, status, told)
            if status == "on_hold":
                assert ever, f"payment {payment_id} is on hold but the bank booked nothing"
                assert told & {"twice", "amount"}, (payment_id, told)
            # Once every file has arrived, booked money is never offered for paying again.
            if booked and not self.pending and status not in ("paid", "posted", "on_hold"):
                assert told, (payment_id, status, kind, booked)
            # Nothing silently stuck.
            # Due: waits for a dispatcher, or in a batch one finishes (a prepared batch is
            # uploaded; one found uploading is recorded, the bank may have answered already, or
            # handed to a person).
            if status == "due" and batch_id is not None:
                here = [line for line in mine if line[1] == batch_id]
                assert here and here[0][3] in ("prepared", "uploading"), (payment_id, here)
                if here[0][3] == "prepared":
                    assert here[0][2] == "prepared", (payment_id, here)
            if status == "processing":
                here = [line for line in mine if line[1] == batch_id]
                assert here and here[0][2] in ("sent", "accepted"), (payment_id, here)
            # A live send is its payment's current one (else it could be sent again meanwhile).
            for _, line_batch, state, _ in mine:
                if state in ("prepared", "sent", "accepted") and status != "on_hold":
                    assert line_batch == batch_id, (payment_id, status, line_batch, batch_id)

    @invariant()
    def daily_limits_hold(self) -> None:
        signatures = tables.signatures
        query = select(
            signatures.c.user_id, signatures.c.signed_at, signatures.c.amount_company
        ).where(signatures.c.voided_at.is_(None))
        with self.engine.connect() as connection:
            signed = connection.execute(query).all()
        totals: dict[tuple[int, date], Decimal] = {}
        for user_id, signed_at, amount in signed:
            key = (user_id, signed_at.astimezone(OSLO).date())
            totals[key] = totals.get(key, Decimal(0)) + amount
        for (user_id, day), total in totals.items():
            per_day = self.limits.get(user_id, (None, None))[1]
            assert per_day is None or total <= per_day, (user_id, day, total)

    # --- helpers -----------------------------------------------------------------------------

    def sign_as(self, who: str, payment_id: int) -> None:
        phone = self.phones[who]
        phone.at = max(phone.at, self.now)
        try:
            results = sign_with(self.uow, phone, [payment_id])
        except PaybotError:
            results = []
        self.now = max(self.now, phone.at)
        for result in results:
            if result.complete:
                self.check_completed(result.payment.id)

    def check_completed(self, payment_id: int) -> None:
        """The signatures that made the payment Due are the ones its amount and account need."""
        p, s = tables.payments.c, tables.suppliers.c
        query = (
            select(
                p.account,
                p.amount,
                p.signature_round,
                p.editors,
                p.status,
                p.supplier_id,
                p.company_id,
                s.registered_account,
            )
            .join_from(tables.payments, tables.suppliers, s.id == p.supplier_id)
            .where(p.id == payment_id)
        )
        last_paid = (
            select(p.account)
            .where(
                p.supplier_id == bindparam("supplier"),
                p.company_id == bindparam("company"),
                p.status.in_(["paid", "posted"]),
                p.id != payment_id,
            )
            .order_by(p.paid_at.desc(), p.id.desc())
            .limit(1)
        )
        with self.engine.connect() as connection:
            row = connection.execute(query).one()
            signers = self.standing(connection, payment_id, row.signature_round)
            paid_to = connection.execute(
                last_paid, {"supplier": row.supplier_id, "company": row.company_id}
            ).scalar_one_or_none()
        assert row.status == "due", (payment_id, row.status)
        amount = row.amount
        editors = set(row.editors or [])
        who = set(signers)
        assert len(who) == len(signers) >= 1, (payment_id, signers)
        for user_id in who:
            per_payment = self.limits.get(user_id, (None, None))[0]
            assert per_payment is None or amount <= per_payment, (payment_id, user_id, amount)
        known = [a for a in (row.registered_account, paid_to) if a]
        changed = any(a != row.account for a in known)
        if row.company_id == self.company_id(ORG_NO) and (amount > THRESHOLD or changed):
            assert len(who) >= 2, (payment_id, amount, changed, who)
        assert who - editors, f"payment {payment_id} was signed only by its editors {editors}"
        if who & editors:
            assert len(who) >= 2, (payment_id, who, editors)
        self.completed[payment_id] = Completed(
            row.account, amount, row.signature_round, frozenset(who)
        )

    def dispatch_now(self, crash: str | None, mode: str) -> None:
        def checkpoint(step: str) -> None:
            if step == crash:
                raise Crash(step)

        self.now += timedelta(minutes=2)  # the job runs every minute; signing has an undo window
        self.bank.mode = mode
        options = DispatchOptions(files_dir=self.folder / "sent", checkpoint=checkpoint, zone=OSLO)
        try:
            dispatching.dispatch(self.uow, self.bank.wire, now=self.now, options=options)
        except Crash:
            pass
        for send in self.bank.receive(self.org_of_account):
            self.check_sent(send)

    def check_sent(self, send: AtBank) -> None:
        """What reached the bank is what its signers completed: account, amount, round."""
        done = self.completed.get(send.payment_id)
        assert done is not None, f"{send.e2e} reached the bank, never signed to completion"
        p = tables.payments.c
        with self.engine.connect() as connection:
            row = connection.execute(
                select(p.amount, p.signature_round).where(p.id == send.payment_id)
            ).one()
            standing = set(self.standing(connection, send.payment_id, done.round))
        assert send.creditor == done.account, (send.e2e, send.creditor, done)
        assert send.amount == done.amount == row.amount, (send, done)
        assert row.signature_round == done.round, (send.e2e, row.signature_round, done)
        assert standing == done.signers, (send.e2e, standing, done)

    @staticmethod
    def standing(connection: Connection, payment_id: int, round_no: int) -> list[int]:
        """Who signed the payment's round, signatures not voided."""
        c = tables.signatures.c
        query = select(c.user_id).where(
            c.payment_id == payment_id, c.round == round_no, c.voided_at.is_(None)
        )
        return list(connection.scalars(query))

    def attempt(self, action: Any, **kwargs: Any) -> None:
        try:
            action(self.uow, now=self.now, **kwargs)
        except PaybotError:
            pass

    def reports(self, send: AtBank, status: str, *reasons: str) -> Iterator[StatusReport]:
        yield StatusReport(StatusLevel.GROUP, send.message, "PART")
        yield StatusReport(StatusLevel.PAYMENT_INFO, send.message, "PART", send.block)
        yield StatusReport(
            StatusLevel.TRANSACTION,
            send.message,
            status,
            original_payment_info_id=send.block,
            original_end_to_end_id=send.e2e,
            reason_codes=reasons,
        )

    def entry(self, send: AtBank, *, returned: bool = False) -> Entry:
        tx = EntryTransaction(
            end_to_end_id=send.e2e,
            amount=send.amount,
            currency="NOK",
            return_reason="AC04" if returned else None,
        )
        return self.booking(send.amount, send.org_no, tx=tx, returned=returned)

    def booking(
        self,
        amount: Decimal,
        org_no: str,
        *,
        block: str | None = None,
        tx: EntryTransaction | None = None,
        returned: bool = False,
    ) -> Entry:
        return Entry(
            account=self.accounts[org_no].account,
            amount=amount,
            currency="NOK",
            direction="CRDT" if returned else "DBIT",
            status="BOOK",
            booking_date=date(2026, 12, 1),
            value_date=date(2026, 12, 1),
            bank_reference=f"REF-{next(self.numbers)}",
            batch_payment_info_id=block,
            transactions=() if tx is None else (tx,),
        )

    def execute_block(self, send: AtBank, deliver: bool, rejection_first: bool) -> None:
        """The bank executes a block: `send` is rejected by name (AC04), the rest of the block is
        booked: one entry per payment (or, where KNOWN allows, one for the block). Two files,
        read in either order, or left to arrive later."""
        send.state = "rejected"
        rejection = Said(send.org_no, "pain.002", tuple(self.reports(send, "RJCT", "AC04")))
        rest = [
            s
            for s in self.bank.in_state("received", "accepted")
            if s.block == send.block and s.e2e != send.e2e
        ]
        for each in rest:
            each.state = "booked"
        if KNOWN and rest:
            total = sum((s.amount for s in rest), Decimal(0))
            entries = (self.booking(total, send.org_no, block=send.block),)
        else:
            entries = tuple(self.entry(s) for s in rest)
        files = [rejection] + ([Said(send.org_no, "camt.054", entries)] if entries else [])
        for said in files if rejection_first else reversed(files):
            self.bank_writes(said, deliver)

    def book_block(self, send: AtBank) -> Said | None:
        """Batch booking: one entry for a block, the total of what the bank executed of it.
        Unless PAYBOT_REDTEAM_KNOWN is set, only a block whose every send paybot put in it is
        still open at the bank (see the module's docstring)."""
        at_bank = [s for s in self.bank.sends.values() if s.block == send.block]
        with self.engine.connect() as connection:
            in_block = connection.execute(
                text("SELECT count(*) FROM batch_payments WHERE payment_info_id = :b"),
                {"b": send.block},
            ).scalar_one()
        open_ = [s for s in at_bank if s.state in ("received", "accepted")]
        if not open_:
            return None
        if not KNOWN and (in_block != len(at_bank) or len(open_) != len(at_bank)):
            return None
        for each in open_:
            each.state = "booked"
        total = sum((s.amount for s in open_), Decimal(0))
        return Said(send.org_no, "camt.054", (self.booking(total, send.org_no, block=send.block),))

    def settle_file(self, send: AtBank) -> Said | None:
        """A pain.002 saying the whole file settled (GrpSts ACSC), once the bank executed what
        was open of it; only where KNOWN allows (the file may hold a send rejected by name)."""
        if not KNOWN:
            return None
        for each in self.bank.in_state("received", "accepted"):
            if each.message == send.message:
                each.state = "booked"
        return Said(
            send.org_no, "pain.002", (StatusReport(StatusLevel.GROUP, send.message, "ACSC"),)
        )

    def bank_writes(self, said: Said, deliver: bool) -> None:
        if deliver:
            self.read(said)
        else:
            self.pending.append(said)

    def write(self, said: Said) -> bytes:
        out = io.BytesIO()
        number = next(self.numbers)
        if said.kind == "pain.002":
            created = datetime(2026, 12, 1, 12, 0, tzinfo=NOW.tzinfo)
            write_pain002(out, said.content, message_id=f"STS-{number}", created_at=created)
        else:
            notice = Notification(f"NTF-{number}", self.now, "camt.054.001.02")
            write_camt054(out, notice, said.content)
        return out.getvalue()

    def read(self, said: Said, *, keep: bool = True) -> None:
        raw = self.write(said)
        result = returns.ingest(
            self.uow,
            name=f"f{next(self.numbers)}.xml",
            data=raw,
            now=self.now,
            inbox=self.accounts[said.org_no],
        )
        assert not result.already_applied and result.error is None
        if keep:
            self.delivered.append((said, raw))

    def snapshot(self, *, with_alarms: bool = False) -> tuple[Any, ...]:
        with self.engine.connect() as connection:
            taken = [
                tuple(connection.execute(text(f"SELECT * FROM {table} ORDER BY id")).all())
                for table in ("payments", "batch_payments", "signatures", "open_items")
            ]
            if with_alarms:
                taken.append(tuple(connection.execute(text("SELECT * FROM alarms ORDER BY id"))))
        return tuple(taken)

    def in_states(self, *states: tuple[str, str | None]) -> list[int]:
        with self.engine.connect() as connection:
            found = connection.execute(
                text("SELECT id, status, failure_kind FROM payments ORDER BY id")
            ).all()
        return [
            pid
            for pid, status, kind in found
            if (status, kind) in states or (status, None) in states
        ]

    def company_of(self, payment_id: int) -> str:
        with self.engine.connect() as connection:
            return str(
                connection.execute(
                    text(
                        "SELECT c.org_no FROM payments p JOIN companies c ON c.id = p.company_id "
                        "WHERE p.id = :p"
                    ),
                    {"p": payment_id},
                ).scalar_one()
            )

    def company_id(self, org_no: str) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.execute(
                    text("SELECT id FROM companies WHERE org_no = :o"), {"o": org_no}
                ).scalar_one()
            )


def _e2e(send: AtBank) -> str:
    return send.e2e


def fresh_databases(database_url: str, template: Path | None, root: Path) -> Callable[[], Engine]:
    """A new empty migrated database for each example: a copy of the SQLite template, or the
    PostgreSQL test database emptied."""
    numbers = count(1)

    def sqlite() -> Engine:
        assert template is not None
        path = root / f"db{next(numbers)}.db"
        shutil.copy(template, path)
        return db.make_engine(f"sqlite:///{path}")

    def postgres() -> Engine:
        tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        admin = create_engine(database_url)
        with admin.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        admin.dispose()
        return db.make_engine(database_url)

    return sqlite if database_url.startswith("sqlite") else postgres


def test_money_leaves_once_to_the_signed_account_and_nothing_is_lost(
    database_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    template = request.getfixturevalue("sqlite_template") if "sqlite" in database_url else None
    MoneyModel.fresh = staticmethod(fresh_databases(database_url, template, tmp_path))
    MoneyModel.root = tmp_path
    run_state_machine_as_test(
        MoneyModel,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            derandomize=os.environ.get("CI") == "true",
            phases=PHASES,
        ),
    )
    if os.environ.get("PAYBOT_REDTEAM_REACHED"):
        print(sorted(REACHED.items()))
