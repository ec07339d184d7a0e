"""A model-based test of the bank link: random interleavings of signing, dispatching (with
crashes at every step and uploads that fail or break off), the bank's answers about any send at
any level (ACCP, ACSP, ACSC, RJCT, PDNG; camt.054 bookings of the right or a wrong amount,
returns), repeated and late files, missing-return checks, netbank checks both ways, holds settled
both ways, fixes and re-signs. After every step the invariants a finance team relies on hold.

The machine runs on SQLite (a fresh copy of the migrated template per example). CI runs it with
a small budget (tests/services/test_bank_link.py); `bench/bank_link_model.py` runs a long one.
"""

from __future__ import annotations

import io
import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path
from typing import Any

from hypothesis import event
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from sqlalchemy import Engine, text
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
from paybot.core.errors import PaybotError
from paybot.core.money import from_storage_units
from paybot.core.payments import ReferenceType
from paybot.core.policy import Role
from paybot.core.sends import LIVE, SendState
from paybot.core.states import PaymentStatus
from paybot.services import companies, dispatching, netbank, payments, people, returns
from paybot.services.common import ActorRef
from paybot.services.dispatching import DispatchOptions
from paybot.services.ports import UploadNotStarted
from paybot.store import db
from paybot.store.uow import UnitOfWork
from tests.builders import (
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
    ledger_with,
    sign_with,
)

PAYMENTS = 2
SECOND = ActorRef("USIGNER2")
_kids = count(100)


def a_kid() -> str:
    body = f"{next(_kids):09d}"
    return body + luhn.calc_check_digit(body)


class Crash(BaseException):
    """paybot's process dies at a dispatch step (nothing after it runs)."""


class TheBank:
    """Folders; the connection can refuse (nothing written) or break off after the file is
    written (the bank has it, paybot is not told)."""

    def __init__(self, root: Path) -> None:
        self.folders = DirectoryGateway(root / "outbox", root / "inbox")
        self.outbox = root / "outbox"
        self.mode = "ok"

    def upload(self, name: str, data_path: Path) -> None:
        if self.mode == "refused":
            raise UploadNotStarted("connection refused")
        self.folders.upload(name, data_path)
        if self.mode == "cut_off":
            raise ConnectionResetError("connection reset after the file was written")

    def exists(self, name: str) -> bool:
        return self.folders.exists(name)

    def incoming(self) -> list[str]:
        return self.folders.incoming()

    def fetch(self, name: str) -> bytes:
        return self.folders.fetch(name)

    def archive(self, name: str) -> None:
        self.folders.archive(name)


@dataclass(frozen=True)
class SendRow:
    id: int
    payment_id: int
    e2e: str
    block: str
    message: str
    amount: Decimal
    state: str


class BankLink(RuleBasedStateMachine):
    """One company, a few payments, a bank behind folders, a clock that only moves forward."""

    template: Path
    root: Path

    def __init__(self) -> None:
        super().__init__()
        self.folder = self.root / f"run{next(_runs)}"
        self.folder.mkdir()
        shutil.copy(self.template, self.folder / "paybot.db")
        self.engine: Engine = db.make_engine(f"sqlite:///{self.folder / 'paybot.db'}")
        self.uow = UnitOfWork(self.engine)
        self.bank = TheBank(self.folder)
        self.now = NOW
        self.files: list[tuple[str, bytes]] = []  # every return file made, to send again
        self.said: list[tuple[str, list[Any]]] = []  # every answer, to say again later
        self.applied: set[bytes] = set()
        self.numbers = count(1)

    def teardown(self) -> None:
        # What the run reached, for `--hypothesis-show-statistics`.
        for status in set(self.statuses().values()):
            event(f"a payment ended {status}")
        for state in {s.state for s in self.sends()}:
            event(f"a send ended {state}")
        self.engine.dispose()
        shutil.rmtree(self.folder, ignore_errors=True)

    @initialize()
    def a_company_with_payments(self) -> None:
        phone = a_company(self.uow)
        assert phone is not None
        people.add_user(
            self.uow,
            company_org_no=ORG_NO,
            slack_user_id=SECOND.slack_user_id,
            name="Siri Second",
            roles=[Role.SIGNER],
            now=NOW,
        )
        # Two signers: a payment under dual control (a changed account, a fix) can be signed.
        self.phones: list[Authenticator] = [phone, enrolled(self.uow, SECOND)]
        companies.update_settings(self.uow, org_no=ORG_NO, timing=DispatchTiming.IMMEDIATE, now=NOW)
        companies.set_bank_account(
            self.uow,
            org_no=ORG_NO,
            account=COMPANY_ACCOUNT,
            values={"gateway": "directory"},
            now=NOW,
        )
        items = [an_item(amount=Decimal(100 * (n + 1)), reference=a_kid()) for n in range(PAYMENTS)]
        found = ledger_with(self.uow, items, [a_supplier()])
        self.ids = sorted(int(p.id) for p in found.values())

    # --- people ------------------------------------------------------------------------------

    @precondition(lambda self: self.having(_SIGNABLE))
    @rule(data=st.data(), who=st.integers(0, 1))
    def sign(self, data: st.DataObject, who: int) -> None:
        phone = self.phones[who]
        phone.at = max(phone.at, self.now)
        try:
            sign_with(self.uow, phone, [self.one_of(data, _SIGNABLE)])
        except PaybotError:
            pass
        self.now = max(self.now, phone.at)

    @precondition(lambda self: self.having(_FIXABLE))
    @rule(data=st.data(), who=st.sampled_from([SIGNER, APPROVER]))
    def fix(self, data: st.DataObject, who: ActorRef) -> None:
        self.attempt(
            payments.fix,
            actor=who,
            payment_id=self.one_of(data, _FIXABLE),
            reference_type=ReferenceType.KID,
            reference=a_kid(),
        )

    @precondition(lambda self: self.having(_NO_ANSWER))
    @rule(data=st.data(), money_left=st.booleans())
    def netbank_check(self, data: st.DataObject, money_left: bool) -> None:
        self.attempt(
            netbank.resolve_missing,
            actor=SIGNER,
            payment_id=self.one_of(data, _NO_ANSWER),
            money_left=money_left,
        )

    @precondition(lambda self: self.having(_HELD))
    @rule(data=st.data(), paid=st.booleans())
    def settle_hold(self, data: st.DataObject, paid: bool) -> None:
        payment_id = self.one_of(data, _HELD)
        self.attempt(netbank.resolve_hold, actor=SIGNER, payment_id=payment_id, paid=paid)

    # --- paybot's own jobs -------------------------------------------------------------------

    @precondition(lambda self: self.having(frozenset({("due", None)})) or self.unfinished())
    @rule(
        crash=st.sampled_from([None] * 6 + ["prepared", "written", "uploading", "uploaded"]),
        mode=st.sampled_from(["ok"] * 6 + ["refused", "cut_off"]),
    )
    def dispatch(self, crash: str | None, mode: str) -> None:
        def checkpoint(step: str) -> None:
            if step == crash:
                raise Crash(step)

        self.now += timedelta(minutes=2)  # the job runs every minute; signing has an undo window
        self.bank.mode = mode
        options = DispatchOptions(files_dir=self.folder / "sent", checkpoint=checkpoint, zone=OSLO)
        try:
            dispatching.dispatch(self.uow, lambda account: self.bank, now=self.now, options=options)
        except Crash:
            pass

    @rule()
    def check_missing(self) -> None:
        returns.check_missing(self.uow, now=self.now, zone=OSLO)

    # Common runs of steps in one rule, so that deep states are reached within a short run.

    @precondition(lambda self: self.having(frozenset({("processing", None)})))
    @rule()
    def days_without_an_answer(self) -> None:
        self.now += timedelta(days=4)
        returns.check_missing(self.uow, now=self.now, zone=OSLO)

    @precondition(lambda self: self.having(_SIGNABLE))
    @rule(data=st.data())
    def signed_by_both_and_sent(self, data: st.DataObject) -> None:
        payment_id = self.one_of(data, _SIGNABLE)
        for phone in self.phones:
            phone.at = max(phone.at, self.now)
            try:
                sign_with(self.uow, phone, [payment_id])
            except PaybotError:
                pass
            self.now = max(self.now, phone.at)
        self.now += timedelta(minutes=2)
        self.bank.mode = "ok"
        options = DispatchOptions(files_dir=self.folder / "sent", zone=OSLO)
        dispatching.dispatch(self.uow, lambda account: self.bank, now=self.now, options=options)

    @rule(minutes=st.sampled_from([1, 7, 60, 60 * 30, 60 * 24 * 4]))
    def time_passes(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    # --- the bank's answers ------------------------------------------------------------------

    @precondition(lambda self: self.bank_has_files())
    @rule(
        data=st.data(),
        level=st.sampled_from(list(StatusLevel)),
        status=st.sampled_from(["ACCP", "ACSP", "ACSC", "RJCT", "RJCT", "PDNG", "PART"]),
    )
    def status_report(self, data: st.DataObject, level: StatusLevel, status: str) -> None:
        send = self.some_send(data)
        if send is None:
            return
        if status == "PART":
            level = StatusLevel.GROUP  # PART is a group's status: its transactions say the rest
        report = StatusReport(
            level,
            send.message,
            status,
            original_payment_info_id=None if level is StatusLevel.GROUP else send.block,
            original_end_to_end_id=send.e2e if level is StatusLevel.TRANSACTION else None,
            reason_codes=("AC04",) if status == "RJCT" else (),
        )
        reports = [report]
        if level is not StatusLevel.GROUP:  # a file always says something of its group first
            reports.insert(0, StatusReport(StatusLevel.GROUP, send.message, "PART"))
        self.said.append(("pain.002", reports))
        self.take(self.pain002(reports))

    @precondition(lambda self: self.bank_has_files())
    @rule(
        data=st.data(),
        how=st.sampled_from(["booked", "booked", "block", "wrong_amount", "returned"]),
    )
    def notification(self, data: st.DataObject, how: str) -> None:
        send = self.some_send(data)
        if send is None:
            return
        amount = send.amount + (1 if how == "wrong_amount" else 0)
        returned = how == "returned"
        if how == "block":
            blocks = [s for s in self.sends() if s.block == send.block]
            entry = self.entry(sum((s.amount for s in blocks), Decimal(0)), block=send.block)
        else:
            entry = self.entry(
                amount,
                returned=returned,
                tx=EntryTransaction(
                    end_to_end_id=send.e2e,
                    amount=amount,
                    currency="NOK",
                    return_reason="AC04" if returned else None,
                ),
            )
        self.said.append(("camt.054", [entry]))
        self.take(self.camt054([entry]))

    @precondition(lambda self: bool(self.said))
    @rule(data=st.data())
    def the_bank_says_it_again(self, data: st.DataObject) -> None:
        """An earlier answer, late and again, in a new file (a new MsgId)."""
        if self.said:
            kind, content = data.draw(st.sampled_from(self.said))
            self.take(self.pain002(content) if kind == "pain.002" else self.camt054(content))

    @precondition(lambda self: bool(self.files))
    @rule(data=st.data())
    def a_file_comes_again(self, data: st.DataObject) -> None:
        if self.files:
            _, again = data.draw(st.sampled_from(self.files))
            result = returns.ingest(self.uow, name="again.xml", data=again, now=self.now)
            assert result.already_applied

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def no_payment_has_two_live_sends_unless_on_hold(self) -> None:
        for payment_id, status in self.statuses().items():
            live = [s for s in self.sends() if s.payment_id == payment_id and s.state in _LIVE]
            if status != PaymentStatus.ON_HOLD.value:
                assert len(live) <= 1, (payment_id, status, live)

    @invariant()
    def a_live_send_is_its_payments_current_one(self) -> None:
        """Else the payment could be signed and sent again while that send may still leave."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT bp.payment_id, bp.batch_id, p.batch_id, p.status "
                    "FROM batch_payments bp "
                    "JOIN payments p ON p.id = bp.payment_id WHERE bp.status IN "
                    "('prepared', 'sent', 'accepted')"
                )
            ).all()
        for payment_id, batch, current, status in rows:
            if status != PaymentStatus.ON_HOLD.value:
                assert batch == current, (payment_id, batch, current, status)

    @invariant()
    def paid_only_when_a_booking_or_a_person_says_money_left(self) -> None:
        booked = {s.payment_id for s in self.sends() if s.state == SendState.BOOKED.value}
        for payment_id, status in self.statuses().items():
            if status in (PaymentStatus.PAID.value, PaymentStatus.ON_HOLD.value):
                assert payment_id in booked, (payment_id, status)

    @invariant()
    def a_held_payment_has_its_alarm(self) -> None:
        with self.engine.connect() as connection:
            alarmed = {
                row[0]
                for row in connection.execute(
                    text("SELECT payment_id FROM alarms WHERE kind IN ('twice', 'amount')")
                )
            }
        for payment_id, status in self.statuses().items():
            if status == PaymentStatus.ON_HOLD.value:
                assert payment_id in alarmed

    @invariant()
    def processing_waits_for_a_live_send(self) -> None:
        with self.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT p.id, bp.status FROM payments p LEFT JOIN batch_payments bp "
                    "ON bp.payment_id = p.id AND bp.batch_id = p.batch_id "
                    "WHERE p.status = 'processing'"
                )
            ).all()
        for payment_id, state in rows:
            assert state in ("sent", "accepted"), (payment_id, state)

    @invariant()
    def nothing_reaches_the_bank_twice(self) -> None:
        sent = Counter(
            p.end_to_end_id
            for f in self.bank.outbox.glob("PAYBOT-B*.xml")
            for p in read_order(f.read_bytes())
        )
        assert all(n == 1 for n in sent.values()), sent

    @invariant()
    def every_file_is_applied_once(self) -> None:
        with self.engine.connect() as connection:
            taken = connection.execute(text("SELECT count(*) FROM return_files")).scalar_one()
        assert taken == len(self.applied)

    @invariant()
    def the_audit_trail_holds(self) -> None:
        with self.uow:
            assert self.uow.audit.first_broken_link() is None

    # --- helpers -----------------------------------------------------------------------------

    def attempt(self, action: Any, **kwargs: Any) -> None:
        try:
            action(self.uow, now=self.now, **kwargs)
        except PaybotError:
            pass

    def take(self, data: bytes) -> None:
        name = f"f{next(self.numbers)}.xml"
        result = returns.ingest(self.uow, name=name, data=data, now=self.now)
        assert not result.already_applied
        self.files.append((name, data))
        self.applied.add(data)

    def bank_has_files(self) -> bool:
        return any(self.bank.outbox.glob("PAYBOT-B*.xml"))

    def unfinished(self) -> bool:
        with self.engine.connect() as connection:
            found = connection.execute(
                text("SELECT count(*) FROM batches WHERE status IN ('prepared', 'uploading')")
            ).scalar_one()
        return bool(found)

    def having(self, states: frozenset[tuple[str, str | None]]) -> bool:
        return bool(self.in_states(states))

    def one_of(self, data: st.DataObject, states: frozenset[tuple[str, str | None]]) -> int:
        return int(data.draw(st.sampled_from(self.in_states(states))))

    def in_states(self, states: frozenset[tuple[str, str | None]]) -> list[int]:
        """Payments in one of `states`: (status, failure kind), None for any kind."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, status, failure_kind FROM payments ORDER BY id")
            ).all()
        return [
            pid
            for pid, status, kind in rows
            if (status, kind) in states or (status, None) in states
        ]

    def pain002(self, reports: list[Any]) -> bytes:
        out = io.BytesIO()
        created = datetime(2026, 12, 1, 12, 0, tzinfo=NOW.tzinfo)
        write_pain002(out, reports, message_id=f"STS-{next(self.numbers)}", created_at=created)
        return out.getvalue()

    def camt054(self, entries: list[Any]) -> bytes:
        out = io.BytesIO()
        notice = Notification(f"NTF-{next(self.numbers)}", self.now, "camt.054.001.02")
        write_camt054(out, notice, entries)
        return out.getvalue()

    def some_send(self, data: st.DataObject) -> SendRow | None:
        """A send whose file reached the bank (it may answer about it), or none yet."""
        at_bank = {
            p.end_to_end_id
            for f in self.bank.outbox.glob("PAYBOT-B*.xml")
            for p in read_order(f.read_bytes())
        }
        found = [s for s in self.sends() if s.e2e in at_bank]
        return data.draw(st.sampled_from(found)) if found else None

    def entry(
        self,
        amount: Decimal,
        *,
        block: str | None = None,
        returned: bool = False,
        tx: EntryTransaction | None = None,
    ) -> Entry:
        return Entry(
            account=COMPANY_ACCOUNT,
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

    def sends(self) -> list[SendRow]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT bp.id, bp.payment_id, bp.end_to_end_id, bp.payment_info_id, "
                    "b.message_id, bp.amount, bp.status FROM batch_payments bp "
                    "JOIN batches b ON b.id = bp.batch_id ORDER BY bp.id"
                )
            ).all()
        return [
            SendRow(r[0], r[1], r[2], r[3], r[4], from_storage_units(int(r[5])), r[6]) for r in rows
        ]

    def statuses(self) -> dict[int, str]:
        with self.engine.connect() as connection:
            rows = connection.execute(text("SELECT id, status FROM payments")).all()
        return {row[0]: row[1] for row in rows}


_LIVE = {state.value for state in LIVE}
_SIGNABLE = frozenset(
    {
        ("proposed", None),
        ("approved", None),
        ("failed", "rejected"),
        ("failed", "returned"),
        ("failed", "checked_not_left"),
        ("failed", "no_return"),  # refused: the netbank first
    }
)
_FIXABLE = frozenset({("proposed", None), ("approved", None), ("failed", None)})
_NO_ANSWER = frozenset({("failed", "no_return")})
_HELD = frozenset({("on_hold", None)})
_runs = count(1)
