"""What the alerts channel should hear, on both databases: payments signed, sent to the sandbox
bank and answered (rejected, silent, paid), then `alerts.pending` at a given moment."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from stdnum import luhn

from paybot.bank.sandbox import SandboxBank, SandboxRules
from paybot.core.company import DispatchTiming, Language
from paybot.core.ledger_file import SupplierRow
from paybot.core.payments import ReferenceType
from paybot.core.states import PaymentStatus
from paybot.services import alerts, companies, dispatching, payments, returns, slack_records
from paybot.services.alerts import Alert, AlertKind
from paybot.services.dispatching import DispatchOptions, SentBatch
from paybot.services.ports import GatewayFactory
from paybot.store.uow import UnitOfWork
from tests.builders import (
    ACCOUNT_B,
    APPROVER,
    NOW,
    ORG_NO,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
    sign_with,
)

OSLO = ZoneInfo("Europe/Oslo")
ALERTS = "C0ALERTS"
# Monday 23 November 2026, 11:00 in Oslo: the first send.
SENT = NOW + timedelta(hours=1)
KID_ONLY = ("Kun KID AS", "923609008", ACCOUNT_B)
SILENT = ("Stille AS", "923609024", "15030100015")
_KIDS = count(1)


def a_kid(number: int) -> str:
    body = f"{number:09d}"
    return body + luhn.calc_check_digit(body)


def oslo(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=OSLO)


class Bank:
    """The sandbox bank in folders under tmp_path: it rejects messages to a payee that only
    takes KID, never answers about the silent payee, and books the rest at once."""

    def __init__(self, root: Path, **rules: Any) -> None:
        self.outbox, self.inbox = root / "outbox", root / "inbox"
        self.options = DispatchOptions(files_dir=root / "sent", zone=OSLO)
        self.rules = SandboxRules(
            kid_only_accounts=frozenset({KID_ONLY[2]}),
            silent_accounts=frozenset({SILENT[2]}),
            **rules,
        )

    @property
    def gateways(self) -> GatewayFactory:
        return lambda account: SandboxBank(self.outbox, self.inbox, self.rules)

    def send(
        self,
        uow: UnitOfWork,
        phone: Authenticator,
        ids: list[int],
        at: datetime,
        *,
        answers: bool = True,
    ) -> SentBatch:
        """Signs the payments two minutes before `at`, sends them at `at`, reads the answers."""
        phone.at = max(phone.at, at - timedelta(minutes=2))
        sign_with(uow, phone, ids)
        [sent] = dispatching.dispatch(uow, self.gateways, now=at, options=self.options).sent
        if answers:
            returns.poll(uow, self.gateways, now=at)
        return sent

    def status_report(self, uow: UnitOfWork, sent: SentBatch, at: datetime) -> None:
        """Reads only the bank's pain.002 of the batch: its bookings have not come yet."""
        name = f"{sent.message_id}-pain002.xml"
        returns.ingest(uow, name=name, data=(self.inbox / name).read_bytes(), now=at)


def company(uow: UnitOfWork, language: Language = Language.EN) -> Authenticator:
    """Acme AS, sending right after signing, with an alerts channel; the signer's phone."""
    phone = a_company(uow)
    assert phone is not None
    companies.update_settings(
        uow,
        org_no=ORG_NO,
        timing=DispatchTiming.IMMEDIATE,
        alerts_channel=ALERTS,
        language=language,
        now=NOW,
    )
    return phone


def supplier(name: str, org_no: str, account: str) -> tuple[SupplierRow, dict[str, Any]]:
    return (
        a_supplier(name=name, org_no=org_no, account=account),
        {"supplier_name": name, "supplier_org_no": org_no, "account": account},
    )


def proposals(uow: UnitOfWork, *items: dict[str, Any]) -> list[int]:
    """Proposals for `items` (an_item overrides, each with a fresh KID unless given)."""
    rows = [an_item(**{"reference": a_kid(next(_KIDS)), **item}) for item in items or [{}]]
    kid_only, _ = supplier(*KID_ONLY)
    silent, _ = supplier(*SILENT)
    found = ledger_with(uow, rows, [a_supplier(), kid_only, silent])
    return [int(found[row.voucher_no].id) for row in rows]


def to_kid_only_with_a_message() -> dict[str, Any]:
    _, fields = supplier(*KID_ONLY)
    return {**fields, "reference_type": ReferenceType.MESSAGE, "reference": "Faktura 12"}


def to_silent() -> dict[str, Any]:
    return supplier(*SILENT)[1]


def kinds(found: list[Alert]) -> list[tuple[AlertKind, int | None]]:
    """(kind, payment id or batch number) of each alert."""
    return [
        (a.kind, a.payment.id if a.payment else a.batch.number if a.batch else None) for a in found
    ]


def claim_all(uow: UnitOfWork, found: list[Alert], now: datetime) -> None:
    """As the poster does: claim each alert, post it, finish."""
    for alert in found:
        assert slack_records.claim(uow, key=alert.key, now=now)
        slack_records.finish(uow, key=alert.key, now=now)


@pytest.fixture
def bank(tmp_path: Path) -> Bank:
    return Bank(tmp_path)


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    return company(uow)


def test_a_rejected_payment_is_one_alert_with_the_reason_and_the_banks_words(
    uow: UnitOfWork, phone: Authenticator, bank: Bank
) -> None:
    [payment_id] = proposals(uow, to_kid_only_with_a_message())
    bank.send(uow, phone, [payment_id], SENT)

    [alert] = alerts.pending(uow, now=SENT + timedelta(minutes=1), zone=OSLO)

    assert (alert.kind, alert.channel, alert.language) == (AlertKind.FAILED, ALERTS, Language.EN)
    assert alert.key == f"alert:failed:{payment_id}:1"
    assert alert.payment is not None
    assert alert.payment.failure_reason == "See the bank's explanation (NARR)"
    assert alert.payment.bank_text == "The payee only takes payments with KID"
    assert alert.step is not None and alert.step.action == "payment.failed"


def test_a_batch_is_announced_once_every_payment_of_it_is_paid(
    uow: UnitOfWork, phone: Authenticator, bank: Bank
) -> None:
    ids = proposals(uow, {}, {"amount": Decimal("3750.00")})
    sent = bank.send(uow, phone, ids, SENT)

    [alert] = alerts.pending(uow, now=SENT, zone=OSLO)

    assert alert.kind is AlertKind.PAID and alert.batch is not None
    assert (alert.batch.number, alert.batch.payments) == (sent.number, 2)
    assert alert.batch.totals == (("NOK", Decimal("5000.00")),)
    assert alert.key == f"alert:paid:{alert.batch.id}"


def test_a_batch_with_a_rejected_payment_is_not_paid(
    uow: UnitOfWork, phone: Authenticator, bank: Bank
) -> None:
    paid, rejected = proposals(uow, {}, to_kid_only_with_a_message())
    bank.send(uow, phone, [paid, rejected], SENT)

    assert kinds(alerts.pending(uow, now=SENT, zone=OSLO)) == [(AlertKind.FAILED, rejected)]


def test_a_payment_with_no_answer_is_stuck_after_four_banking_hours_not_before(
    uow: UnitOfWork, phone: Authenticator, bank: Bank
) -> None:
    friday = date(2026, 11, 27)
    [payment_id] = proposals(uow, to_silent())
    bank.send(uow, phone, [payment_id], oslo(friday, 22))

    # Two hours on Friday, none at the weekend, two on Monday.
    assert alerts.pending(uow, now=oslo(date(2026, 11, 30), 1, 59), zone=OSLO) == []
    [alert] = alerts.pending(uow, now=oslo(date(2026, 11, 30), 2), zone=OSLO)

    assert (alert.kind, alert.key) == (AlertKind.STUCK, f"alert:stuck:{payment_id}:1")
    assert alert.waited == timedelta(hours=4)
    assert alert.sent_at == oslo(friday, 22)


def test_an_answer_from_the_bank_is_not_stuck(
    uow: UnitOfWork, phone: Authenticator, bank: Bank
) -> None:
    silent, answered = proposals(uow, to_silent(), {})
    sent = bank.send(uow, phone, [silent, answered], SENT, answers=False)
    bank.status_report(uow, sent, SENT)
    assert payments.show(uow, payment_id=answered).payment.bank_status == "ACSP"

    found = alerts.pending(uow, now=SENT + timedelta(hours=5), zone=OSLO)

    assert kinds(found) == [(AlertKind.STUCK, silent)]


def test_no_return_asks_whether_the_money_left_and_is_no_longer_stuck(
    uow: UnitOfWork, phone: Authenticator, bank: Bank
) -> None:
    [payment_id] = proposals(uow, to_silent())
    bank.send(uow, phone, [payment_id], SENT)
    stuck = alerts.pending(uow, now=SENT + timedelta(hours=4), zone=OSLO)
    claim_all(uow, stuck, SENT + timedelta(hours=4))
    later = SENT + timedelta(days=3)
    assert returns.check_missing(uow, now=later, zone=OSLO) == [payment_id]

    [alert] = alerts.pending(uow, now=later, zone=OSLO)

    assert (alert.kind, alert.key) == (AlertKind.NO_RETURN, f"alert:no_return:{payment_id}:1")
    assert alert.payment is not None and alert.payment.failure_kind == "no_return"


def test_an_alert_claimed_is_not_pending_again_unless_its_poster_died(
    uow: UnitOfWork, phone: Authenticator, bank: Bank
) -> None:
    [payment_id] = proposals(uow, to_kid_only_with_a_message())
    bank.send(uow, phone, [payment_id], SENT)
    [alert] = alerts.pending(uow, now=SENT, zone=OSLO)

    assert slack_records.claim(uow, key=alert.key, now=SENT)
    assert alerts.pending(uow, now=SENT + timedelta(minutes=9), zone=OSLO) == []
    # Never finished: after ten minutes another process takes it over.
    [again] = alerts.pending(uow, now=SENT + timedelta(minutes=11), zone=OSLO)
    assert again.key == alert.key
    assert slack_records.claim(uow, key=alert.key, now=SENT + timedelta(minutes=11))
    slack_records.finish(uow, key=alert.key, now=SENT + timedelta(minutes=11))
    assert alerts.pending(uow, now=SENT + timedelta(days=1), zone=OSLO) == []


def test_a_fix_is_the_same_failure_but_failing_again_after_signing_is_a_new_alert(
    uow: UnitOfWork, phone: Authenticator, bank: Bank
) -> None:
    [payment_id] = proposals(uow, to_kid_only_with_a_message())
    bank.send(uow, phone, [payment_id], SENT)
    claim_all(uow, alerts.pending(uow, now=SENT, zone=OSLO), SENT)

    later = SENT + timedelta(hours=1)
    payments.fix(uow, actor=APPROVER, payment_id=payment_id, reference="Faktura 13", now=later)
    assert alerts.pending(uow, now=later, zone=OSLO) == []

    bank.send(uow, phone, [payment_id], later + timedelta(minutes=10))
    [again] = alerts.pending(uow, now=later + timedelta(minutes=10), zone=OSLO)
    assert (again.kind, again.key) == (AlertKind.FAILED, f"alert:failed:{payment_id}:2")


def test_more_than_twenty_payment_alerts_are_summarised_in_one(
    uow: UnitOfWork, phone: Authenticator, tmp_path: Path
) -> None:
    poor = Bank(tmp_path, balance=Decimal("0.00"))
    ids = proposals(uow, *({} for _ in range(23)))
    poor.send(uow, phone, ids, SENT)

    found = alerts.pending(uow, now=SENT, zone=OSLO)

    assert [a.kind for a in found] == [AlertKind.FAILED] * 20 + [AlertKind.MORE]
    summary = found[-1]
    assert summary.covers == tuple((AlertKind.FAILED, f"alert:failed:{i}:1") for i in ids[20:])
    assert summary.key.startswith(f"alert:more:{ORG_NO}:")
    # The same left-out alerts give the same summary key: one summary between processes.
    assert alerts.pending(uow, now=SENT, zone=OSLO)[-1].key == summary.key


def test_a_company_without_an_alerts_channel_hears_nothing(uow: UnitOfWork, bank: Bank) -> None:
    phone = a_company(uow)
    assert phone is not None
    companies.update_settings(uow, org_no=ORG_NO, timing=DispatchTiming.IMMEDIATE, now=NOW)
    [payment_id] = proposals(uow, to_kid_only_with_a_message())
    bank.send(uow, phone, [payment_id], SENT)

    assert view_status(uow, payment_id) is PaymentStatus.FAILED
    assert alerts.pending(uow, now=SENT, zone=OSLO) == []


def view_status(uow: UnitOfWork, payment_id: int) -> PaymentStatus:
    return payments.show(uow, payment_id=payment_id).payment.status
