"""The bank's answers, on both databases: the sandbox bank end to end, pain.002 status reports and
camt.054 notifications written for real batches, missing returns, and files that are refused."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, text
from stdnum import luhn

from paybot.bank.directory import DirectoryGateway
from paybot.bank.sandbox import SandboxBank, SandboxRules
from paybot.core.bankfiles.camt054 import write_camt054
from paybot.core.bankfiles.model import (
    BankFileRejected,
    Entry,
    EntryTransaction,
    Notification,
    StatusLevel,
    StatusReport,
)
from paybot.core.bankfiles.pain002 import reason_text, write_pain002
from paybot.core.company import DispatchTiming
from paybot.core.errors import InvalidTransition, NotPermitted
from paybot.core.ledger_file import SupplierRow
from paybot.core.payments import PaymentView, ReferenceType
from paybot.core.states import PaymentStatus
from paybot.services import companies, dispatching, netbank, payments, returns
from paybot.services.dispatching import DispatchOptions, SentBatch
from paybot.services.ports import GatewayFactory
from paybot.services.returns import NO_RETURN_REASON, IngestResult
from paybot.store.uow import UnitOfWork
from tests.builders import (
    ACCOUNT_A,
    ACCOUNT_B,
    COMPANY_ACCOUNT,
    NOW,
    ORG_NO,
    SIGNER,
    VIEWER,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
    sign_with,
)
from tests.shared_fixtures import shared_fixture, shared_fixture_names

OSLO = ZoneInfo("Europe/Oslo")
# Sent at 11:00 in Oslo on Monday 23 November 2026, after the undo window of every signing here.
SENT = NOW + timedelta(hours=1)
KID_ONLY = ("Kun KID AS", "923609008", ACCOUNT_B)
SILENT = ("Stille AS", "923609024", "15030100015")


_KIDS = count(1)


def a_kid(number: int) -> str:
    body = f"{number:09d}"
    return body + luhn.calc_check_digit(body)


def oslo(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=OSLO)


class Bank:
    """Folders in tmp_path; `sandbox` answers every upload, `folders` never answers."""

    def __init__(self, root: Path) -> None:
        self.outbox, self.inbox = root / "outbox", root / "inbox"
        self.options = DispatchOptions(files_dir=root / "sent", zone=OSLO)
        self.rules = SandboxRules()

    def folders(self) -> GatewayFactory:
        return lambda account: DirectoryGateway(self.outbox, self.inbox)

    def sandbox(self, **rules: Any) -> GatewayFactory:
        self.rules = SandboxRules(**rules)
        return lambda account: SandboxBank(self.outbox, self.inbox, self.rules)

    def send(self, uow: UnitOfWork, gateways: GatewayFactory, now: datetime = SENT) -> SentBatch:
        [sent] = dispatching.dispatch(uow, gateways, now=now, options=self.options).sent
        return sent

    def waiting(self) -> list[str]:
        return DirectoryGateway(self.outbox, self.inbox).incoming()


class WrongAccountBank(SandboxBank):
    """A bank that finds the payee account wrong (AC01). Real banks say so for an account that
    passes the check digit but does not exist; the sandbox knows only the check digit, so the
    account is spoiled on its way to the bank."""

    def __init__(self, root: Path, good: str, bad: str) -> None:
        super().__init__(root / "outbox", root / "inbox", SandboxRules())
        self._root, self._good, self._bad = root, good.encode(), bad.encode()

    def upload(self, name: str, data_path: Path) -> None:
        spoiled = self._root / "spoiled.xml"
        spoiled.write_bytes(
            data_path.read_bytes().replace(b">" + self._good + b"<", b">" + self._bad + b"<")
        )
        super().upload(name, spoiled)


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    """Acme AS, sending immediately after signing; the signer's authenticator."""
    signer_phone = a_company(uow)
    assert signer_phone is not None
    companies.update_settings(uow, org_no=ORG_NO, timing=DispatchTiming.IMMEDIATE, now=NOW)
    return signer_phone


@pytest.fixture
def bank(tmp_path: Path) -> Bank:
    return Bank(tmp_path)


# Helpers


def payee(name: str, org_no: str, account: str) -> tuple[SupplierRow, dict[str, Any]]:
    supplier = a_supplier(name=name, org_no=org_no, account=account)
    return supplier, {"supplier_name": name, "supplier_org_no": org_no, "account": account}


def signed(
    uow: UnitOfWork,
    phone: Authenticator,
    *items: dict[str, Any],
    suppliers: Iterable[SupplierRow] = (),
) -> list[int]:
    """Proposals for `items` (an_item overrides), signed with one code: Due."""
    rows = [an_item(**{"reference": a_kid(next(_KIDS)), **item}) for item in items or [{}]]
    found = ledger_with(uow, rows, [a_supplier(), *suppliers])
    ids = [int(found[row.voucher_no].id) for row in rows]
    sign_with(uow, phone, ids)
    return ids


def view(uow: UnitOfWork, payment_id: int) -> PaymentView:
    return payments.show(uow, payment_id=payment_id).payment


def status_of(uow: UnitOfWork, ids: Iterable[int]) -> list[PaymentStatus]:
    return [view(uow, payment_id).status for payment_id in ids]


def rows(engine: Engine, query: str) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text(query))]


def lines(engine: Engine) -> dict[int, dict[str, Any]]:
    """batch_payments rows by payment id (the last line of each payment)."""
    found = rows(engine, "SELECT * FROM batch_payments ORDER BY id")
    return {row["payment_id"]: row for row in found}


def return_files(engine: Engine) -> int:
    return len(rows(engine, "SELECT id FROM return_files"))


def pain002(message_id: str, reports: list[StatusReport]) -> bytes:
    out = io.BytesIO()
    write_pain002(out, reports, message_id=message_id, created_at=SENT + timedelta(hours=1))
    return out.getvalue()


def group(line: dict[str, Any], status: str, *reasons: str) -> StatusReport:
    message_id = str(line["payment_info_id"]).rsplit("-", 1)[0]
    return StatusReport(StatusLevel.GROUP, message_id, status, reason_codes=reasons)


def transaction(
    line: dict[str, Any], status: str, *reasons: str, note: str | None = None
) -> StatusReport:
    return StatusReport(
        StatusLevel.TRANSACTION,
        str(line["payment_info_id"]).rsplit("-", 1)[0],
        status,
        original_payment_info_id=line["payment_info_id"],
        original_end_to_end_id=line["end_to_end_id"],
        reason_codes=reasons,
        additional_info=(note,) if note else (),
    )


def camt054(message_id: str, entries: list[Entry]) -> bytes:
    out = io.BytesIO()
    created = SENT + timedelta(days=1)
    write_camt054(out, Notification(message_id, created, "camt.054.001.02"), entries)
    return out.getvalue()


def booked(amount: Decimal, *, end_to_end: str | None = None, block: str | None = None) -> Entry:
    """A debit booked on the company's account: one payment by EndToEndId, or a whole block."""
    return Entry(
        account=COMPANY_ACCOUNT,
        amount=amount,
        currency="NOK",
        direction="DBIT",
        status="BOOK",
        booking_date=date(2026, 12, 1),
        value_date=date(2026, 12, 1),
        bank_reference=f"REF-{end_to_end or block}"[:35],
        batch_payment_info_id=block,
        transactions=(
            (EntryTransaction(end_to_end_id=end_to_end, amount=amount, currency="NOK"),)
            if end_to_end
            else ()
        ),
    )


def ingest(uow: UnitOfWork, name: str, data: bytes, now: datetime = SENT) -> IngestResult:
    return returns.ingest(uow, name=name, data=data, now=now)


# The sandbox bank, end to end


def test_a_signed_payment_comes_back_paid_through_the_sandbox_bank(
    uow: UnitOfWork, phone: Authenticator, bank: Bank
) -> None:
    gateways = bank.sandbox()
    [payment_id] = signed(uow, phone)
    sent = bank.send(uow, gateways)
    assert view(uow, payment_id).status is PaymentStatus.PROCESSING
    assert bank.waiting() == [f"{sent.message_id}-camt054.xml", f"{sent.message_id}-pain002.xml"]

    results = returns.poll(uow, gateways, now=SENT + timedelta(minutes=1))

    assert [(r.kind, r.paid, r.failed, r.error) for r in results] == [
        ("camt.054", [payment_id], [], None),
        ("pain.002", [], [], None),
    ]
    assert view(uow, payment_id).status is PaymentStatus.PAID
    assert bank.waiting() == []
    assert sorted(p.name for p in (bank.inbox / "processed").iterdir()) == [
        f"{sent.message_id}-camt054.xml",
        f"{sent.message_id}-pain002.xml",
    ]
    # Nothing new: polling again applies nothing.
    assert returns.poll(uow, gateways, now=SENT + timedelta(minutes=2)) == []


def test_a_wrong_payee_account_comes_back_failed_in_words(
    uow: UnitOfWork, phone: Authenticator, bank: Bank, tmp_path: Path
) -> None:
    wrong = WrongAccountBank(tmp_path, ACCOUNT_A, "12345678900")
    [payment_id] = signed(uow, phone)
    bank.send(uow, lambda account: wrong)

    [result] = returns.poll(uow, lambda account: wrong, now=SENT)

    assert (result.kind, result.failed) == ("pain.002", [payment_id])
    payment = view(uow, payment_id)
    assert payment.status is PaymentStatus.FAILED
    assert payment.failure_kind == "rejected"
    assert payment.failure_reason == reason_text("AC01")
    assert payment.failure_reason == "The account number is wrong or missing (AC01)"
    assert (payment.bank_status, payment.batch_id) == ("RJCT", None)


def test_a_message_to_a_payee_that_only_takes_kid_fails_with_the_banks_words(
    uow: UnitOfWork, phone: Authenticator, bank: Bank
) -> None:
    gateways = bank.sandbox(kid_only_accounts=frozenset({ACCOUNT_B}))
    supplier, to_kid_only = payee(*KID_ONLY)
    message, kid = signed(
        uow,
        phone,
        {**to_kid_only, "reference_type": ReferenceType.MESSAGE, "reference": "Faktura 12"},
        {**to_kid_only},
        suppliers=[supplier],
    )
    bank.send(uow, gateways)

    returns.poll(uow, gateways, now=SENT)

    failed = view(uow, message)
    assert failed.status is PaymentStatus.FAILED
    assert failed.failure_reason == reason_text("NARR") == "See the bank's explanation (NARR)"
    assert failed.bank_text == "The payee only takes payments with KID"
    assert view(uow, kid).status is PaymentStatus.PAID


def test_payments_beyond_the_balance_fail_for_want_of_money(
    uow: UnitOfWork, phone: Authenticator, bank: Bank
) -> None:
    gateways = bank.sandbox(balance=Decimal("2000.00"))
    ids = signed(
        uow,
        phone,
        {"amount": Decimal("1000.00")},
        {"amount": Decimal("800.00")},
        {"amount": Decimal("500.00")},
    )
    bank.send(uow, gateways)

    results = returns.poll(uow, gateways, now=SENT)

    assert [r.paid for r in results if r.kind == "camt.054"] == [ids[:2]]
    assert status_of(uow, ids) == [PaymentStatus.PAID, PaymentStatus.PAID, PaymentStatus.FAILED]
    assert view(uow, ids[2]).failure_reason == "Not enough money on the account (AM04)"


def test_a_silent_payee_stays_processing_until_the_missing_return_check(
    uow: UnitOfWork, phone: Authenticator, bank: Bank
) -> None:
    supplier, to_silent = payee(*SILENT)
    gateways = bank.sandbox(silent_accounts=frozenset({SILENT[2]}))
    answered, silent = signed(uow, phone, {}, to_silent, suppliers=[supplier])
    bank.send(uow, gateways)

    returns.poll(uow, gateways, now=SENT)

    assert status_of(uow, [answered, silent]) == [PaymentStatus.PAID, PaymentStatus.PROCESSING]
    assert returns.check_missing(uow, now=SENT + timedelta(hours=23), zone=OSLO) == []
    assert returns.check_missing(uow, now=SENT + timedelta(days=3), zone=OSLO) == [silent]
    late = view(uow, silent)
    assert (late.status, late.failure_kind) == (PaymentStatus.FAILED, "no_return")
    assert late.failure_reason == NO_RETURN_REASON
    assert payments.show(uow, payment_id=silent).history[-1]["action"] == "payment.no_return"
    assert view(uow, answered).status is PaymentStatus.PAID


# Missing returns


def test_a_weekend_does_not_count_towards_the_24_banking_hours(
    uow: UnitOfWork, phone: Authenticator, bank: Bank
) -> None:
    [payment_id] = signed(uow, phone)
    friday = date(2026, 11, 27)
    bank.send(uow, bank.folders(), now=oslo(friday, 11))
    monday = date(2026, 11, 30)

    # 13 hours on Friday and 10 on Monday: 23 banking hours, though 71 hours have passed.
    assert returns.check_missing(uow, now=oslo(monday, 10), zone=OSLO) == []
    assert view(uow, payment_id).status is PaymentStatus.PROCESSING
    assert returns.check_missing(uow, company_org_no=ORG_NO, now=oslo(monday, 12), zone=OSLO) == [
        payment_id
    ]
    assert view(uow, payment_id).status is PaymentStatus.FAILED


def test_a_payment_with_no_return_cannot_be_signed_again_until_the_netbank_is_checked(
    uow: UnitOfWork, phone: Authenticator, bank: Bank
) -> None:
    [payment_id] = signed(uow, phone)
    bank.send(uow, bank.folders())
    returns.check_missing(uow, now=SENT + timedelta(days=3), zone=OSLO)

    with pytest.raises(NotPermitted, match="no answer from the bank"):
        sign_with(uow, phone, [payment_id])

    payment = view(uow, payment_id)
    assert (payment.status, payment.failure_kind) == (PaymentStatus.FAILED, "no_return")
    assert payments.show(uow, payment_id=payment_id).history[-1]["action"] == "payment.refused"


def test_the_netbank_showing_no_money_left_is_recorded_and_the_payment_stays_failed(
    uow: UnitOfWork, phone: Authenticator, bank: Bank
) -> None:
    [payment_id] = signed(uow, phone)
    bank.send(uow, bank.folders())
    later = SENT + timedelta(days=3)
    returns.check_missing(uow, now=later, zone=OSLO)

    checked = netbank.resolve_missing(
        uow, actor=SIGNER, payment_id=payment_id, money_left=False, now=later
    )

    assert (checked.status, checked.failure_kind) == (PaymentStatus.FAILED, "checked_not_left")
    assert checked.batch_id is None
    assert "did not leave" in (checked.failure_reason or "")
    last = payments.show(uow, payment_id=payment_id).history[-1]
    assert (last["action"], last["details"]) == (
        "payment.resolve_missing",
        {"money_left": False, "sends": [f"PAYBOT-P{payment_id}-1"]},
    )


def test_after_the_netbank_shows_no_money_left_the_payment_is_signed_and_sent_again(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    [payment_id] = signed(uow, phone)
    bank.send(uow, bank.folders())
    later = SENT + timedelta(days=3)
    returns.check_missing(uow, now=later, zone=OSLO)
    netbank.resolve_missing(uow, actor=SIGNER, payment_id=payment_id, money_left=False, now=later)

    phone.at = later
    [again] = sign_with(uow, phone, [payment_id])
    assert again.payment.status is PaymentStatus.DUE
    bank.send(uow, bank.folders(), now=later + timedelta(hours=1))
    assert lines(engine)[payment_id]["end_to_end_id"] == f"PAYBOT-P{payment_id}-2"


def test_bookings_of_two_sends_of_one_payment_hold_it_then_raise_the_alarm(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    """Sent, no answer, "the money did not leave", sent again: then both sends are booked."""
    [payment_id] = signed(uow, phone)
    bank.send(uow, bank.folders())
    first = lines(engine)[payment_id]["end_to_end_id"]
    later = SENT + timedelta(days=3)
    returns.check_missing(uow, now=later, zone=OSLO)
    netbank.resolve_missing(uow, actor=SIGNER, payment_id=payment_id, money_left=False, now=later)
    phone.at = later
    sign_with(uow, phone, [payment_id])
    bank.send(uow, bank.folders(), now=later + timedelta(hours=1))
    second = lines(engine)[payment_id]["end_to_end_id"]
    assert second != first

    early = ingest(
        uow,
        "b1.xml",
        camt054("B1", [booked(Decimal("1250.00"), end_to_end=first)]),
        now=later + timedelta(hours=2),
    )
    assert (early.paid, early.held) == ([], [payment_id])
    assert early.warnings and f"stop {second} in the netbank" in early.warnings[0]
    held = view(uow, payment_id)
    assert (held.status, held.failure_kind) == (PaymentStatus.ON_HOLD, "twice")
    again = ingest(
        uow,
        "b2.xml",
        camt054("B2", [booked(Decimal("1250.00"), end_to_end=second)]),
        now=later + timedelta(hours=3),
    )
    assert again.warnings and "left twice" in again.warnings[0]
    assert view(uow, payment_id).status is PaymentStatus.PAID
    alarms = rows(engine, "SELECT kind FROM alarms ORDER BY id")
    assert [a["kind"] for a in alarms] == ["twice", "booked_twice"]


def test_a_payment_refused_for_want_of_money_may_be_signed_again_as_it_is(
    uow: UnitOfWork, phone: Authenticator, bank: Bank
) -> None:
    gateways = bank.sandbox(balance=Decimal("10.00"))
    [payment_id] = signed(uow, phone)
    bank.send(uow, gateways)
    returns.poll(uow, gateways, now=SENT)
    assert view(uow, payment_id).status is PaymentStatus.FAILED

    phone.at = SENT + timedelta(hours=1)
    [again] = sign_with(uow, phone, [payment_id])
    assert again.payment.status is PaymentStatus.DUE


def test_the_netbank_showing_the_money_left_makes_it_paid(
    uow: UnitOfWork, phone: Authenticator, bank: Bank
) -> None:
    [payment_id] = signed(uow, phone)
    bank.send(uow, bank.folders())
    later = SENT + timedelta(days=3)
    returns.check_missing(uow, now=later, zone=OSLO)

    with pytest.raises(NotPermitted, match="signer role"):
        netbank.resolve_missing(
            uow, actor=VIEWER, payment_id=payment_id, money_left=True, now=later
        )
    paid = netbank.resolve_missing(
        uow, actor=SIGNER, payment_id=payment_id, money_left=True, now=later
    )

    assert paid.status is PaymentStatus.PAID
    with pytest.raises(InvalidTransition, match="not waiting for a netbank check"):
        netbank.resolve_missing(
            uow, actor=SIGNER, payment_id=payment_id, money_left=False, now=later
        )


def test_a_booking_that_arrives_after_the_missing_return_failure_wins(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    [payment_id] = signed(uow, phone)
    bank.send(uow, bank.folders())
    later = SENT + timedelta(days=3)
    returns.check_missing(uow, now=later, zone=OSLO)
    line = lines(engine)[payment_id]

    result = ingest(
        uow,
        "late.xml",
        camt054("LATE-1", [booked(Decimal("1250.00"), end_to_end=line["end_to_end_id"])]),
        now=later + timedelta(hours=1),
    )

    assert result.paid == [payment_id]
    payment = view(uow, payment_id)
    assert payment.status is PaymentStatus.PAID
    event = payments.show(uow, payment_id=payment_id).history[-1]
    assert (event["action"], event["before"]["status"]) == ("payment.paid", "failed")


# pain.002 status reports


def test_a_rejection_of_the_whole_file_fails_every_payment_of_the_batch(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    ids = signed(uow, phone, {}, {})
    bank.send(uow, bank.folders())
    line = lines(engine)[ids[0]]

    result = ingest(uow, "rjct.xml", pain002("STS-1", [group(line, "RJCT", "FF01")]))

    assert sorted(result.failed) == ids
    for payment_id in ids:
        payment = view(uow, payment_id)
        assert (payment.status, payment.failure_kind) == (PaymentStatus.FAILED, "rejected")
        assert payment.failure_reason == "The file format is incomplete or invalid (FF01)"
        assert payment.batch_id is None
    assert {row["status"] for row in lines(engine).values()} == {"rejected"}


def test_a_partly_accepted_file_fails_only_the_rejected_payments(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    rejected, accepted, unmentioned = signed(uow, phone, {}, {}, {})
    bank.send(uow, bank.folders())
    found = lines(engine)
    report = pain002(
        "STS-PART",
        [
            group(found[rejected], "PART"),
            transaction(found[rejected], "RJCT", "AC04", note="Konto avsluttet"),
            transaction(found[accepted], "ACSP"),
        ],
    )

    result = ingest(uow, "part.xml", report)

    assert (result.failed, result.updated, result.unmatched) == ([rejected], 1, [])
    failed = view(uow, rejected)
    assert failed.status is PaymentStatus.FAILED
    assert failed.failure_reason == "The account is closed (AC04)"
    assert failed.bank_text == "Konto avsluttet"
    assert (view(uow, accepted).status, view(uow, accepted).bank_status) == (
        PaymentStatus.PROCESSING,
        "ACSP",
    )
    assert (view(uow, unmentioned).status, view(uow, unmentioned).bank_status) == (
        PaymentStatus.PROCESSING,
        None,
    )
    kept = lines(engine)[rejected]
    codes = kept["reason_codes"]  # JSON: a string through SQLite's plain SQL
    assert (kept["bank_status"], json.loads(codes) if isinstance(codes, str) else codes) == (
        "RJCT",
        ["AC04"],
    )
    assert kept["bank_text"] == "Konto avsluttet"


def test_an_acceptance_keeps_the_payments_processing_with_the_bank_status_shown(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    ids = signed(uow, phone, {}, {})
    bank.send(uow, bank.folders())
    line = lines(engine)[ids[0]]

    for code in ("ACTC", "ACSP"):
        result = ingest(uow, f"{code}.xml", pain002(f"STS-{code}", [group(line, code)]))

        assert (result.paid, result.failed, result.updated) == ([], [], 2)
        for payment_id in ids:
            payment = view(uow, payment_id)
            assert (payment.status, payment.bank_status) == (PaymentStatus.PROCESSING, code)


# camt.054 debit notifications


def test_a_booking_of_a_whole_block_by_its_payment_info_id_pays_all_its_payments(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    ids = signed(uow, phone, {"amount": Decimal("100.00")}, {"amount": Decimal("200.00")})
    bank.send(uow, bank.folders())
    block = lines(engine)[ids[0]]["payment_info_id"]

    result = ingest(uow, "block.xml", camt054("NTF-1", [booked(Decimal("300.00"), block=block)]))

    assert (sorted(result.paid), result.unmatched) == (ids, [])
    assert status_of(uow, ids) == [PaymentStatus.PAID, PaymentStatus.PAID]


# Return files: once, whole, and what matches nothing


def test_the_same_file_twice_changes_nothing_the_second_time(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    [payment_id] = signed(uow, phone)
    bank.send(uow, bank.folders())
    line = lines(engine)[payment_id]
    data = pain002("STS-1", [group(line, "RJCT", "AM04")])

    first = ingest(uow, "once.xml", data)
    before = view(uow, payment_id)
    second = ingest(uow, "once-again.xml", data, now=SENT + timedelta(hours=1))

    assert (first.already_applied, first.failed) == (False, [payment_id])
    assert (second.already_applied, second.failed, second.updated) == (True, [], 0)
    assert view(uow, payment_id) == before
    assert return_files(engine) == 1


def test_references_that_match_no_payment_are_reported(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    [payment_id] = signed(uow, phone)
    bank.send(uow, bank.folders())
    unknown_line = {"payment_info_id": "PAYBOT-B999-1", "end_to_end_id": "PAYBOT-P999-1"}

    status = ingest(
        uow,
        "other.xml",
        pain002("STS-X", [group(unknown_line, "PART"), transaction(unknown_line, "RJCT", "AC01")]),
    )
    camt = ingest(
        uow,
        "other-camt.xml",
        camt054(
            "NTF-X",
            [
                booked(Decimal("5.00"), end_to_end="PAYBOT-P999-1"),
                booked(Decimal("5.00"), block="PAYBOT-B999-1"),
            ],
        ),
    )

    assert (status.failed, status.unmatched) == ([], ["PAYBOT-B999", "PAYBOT-P999-1"])
    assert (camt.paid, camt.unmatched) == ([], ["PAYBOT-P999-1", "PAYBOT-B999-1"])
    assert view(uow, payment_id).status is PaymentStatus.PROCESSING
    assert return_files(engine) == 2


XXE = (
    b'<!DOCTYPE Document [<!ENTITY note SYSTEM "file:///etc/passwd">]>\n',
    b"&note;",
)
LAUGHS = (
    b"<!DOCTYPE Document [\n"
    + b'<!ENTITY lol "lol">\n'
    + b"".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">\n'.encode()
        for n in range(1, 10)
    )
    + b"]>\n",
    b"&lol9;",
)


def spoiled(data: bytes, how: str) -> bytes:
    if how == "malformed":
        return data[: len(data) - 40]
    declaration, reference = XXE if how == "xxe" else LAUGHS
    head, body = data.split(b"?>", 1)
    return head + b"?>\n" + declaration + body.replace(b"MARKER", reference)


def test_a_malformed_or_hostile_file_is_refused_whole(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    ids = signed(uow, phone, {}, {})
    bank.send(uow, bank.folders())
    found = lines(engine)
    data = pain002(
        "STS-BAD",
        [
            group(found[ids[0]], "PART"),
            transaction(found[ids[0]], "RJCT", "AC04", note="MARKER"),
            transaction(found[ids[1]], "RJCT", "AC04", note="MARKER"),
        ],
    )
    before = [view(uow, payment_id) for payment_id in ids]

    for how in ("malformed", "xxe", "billion-laughs"):
        with pytest.raises(BankFileRejected):
            ingest(uow, f"{how}.xml", spoiled(data, how))

        assert [view(uow, payment_id) for payment_id in ids] == before, how
        assert {row["status"] for row in lines(engine).values()} == {"sent"}, how
        assert return_files(engine) == 0, how
    # The same reports, unspoiled, are applied: the refusals were about the files alone.
    assert sorted(ingest(uow, "good.xml", data).failed) == ids


def test_polling_leaves_a_refused_file_in_the_inbox_and_applies_the_others(
    uow: UnitOfWork, engine: Engine, phone: Authenticator, bank: Bank
) -> None:
    [payment_id] = signed(uow, phone)
    bank.send(uow, bank.folders())
    line = lines(engine)[payment_id]
    (bank.inbox / "a-hostile.xml").write_bytes(
        spoiled(pain002("STS-H", [group(line, "RJCT", "AM04")]), "xxe")
    )
    (bank.inbox / "b-booked.xml").write_bytes(
        camt054("NTF-OK", [booked(Decimal("1250.00"), end_to_end=line["end_to_end_id"])])
    )

    results = returns.poll(uow, bank.folders(), now=SENT)

    assert [(r.name, r.kind, r.paid) for r in results] == [
        ("a-hostile.xml", "rejected", []),
        ("b-booked.xml", "camt.054", [payment_id]),
    ]
    assert "DTD" in (results[0].error or "")
    assert bank.waiting() == ["a-hostile.xml"]
    assert view(uow, payment_id).status is PaymentStatus.PAID


# Every bank's own namespace included (PostFinance's pain.002.001.03.ch.02).
SAMPLE_FILES = [
    pytest.param(f"samples/{folder}/{name}", id=name)
    for folder in ("pain002", "camt054")
    for name in shared_fixture_names(f"samples/{folder}")
]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("sample", SAMPLE_FILES)
def test_every_sample_return_file_is_taken_and_matches_nothing(
    uow: UnitOfWork, engine: Engine, sample: str
) -> None:
    path = shared_fixture(sample)
    result = ingest(uow, path.name, path.read_bytes())

    assert (result.paid, result.failed, result.updated, result.error) == ([], [], 0, None)
    assert not result.already_applied
    assert return_files(engine) == 1
