"""The bank's answer for a payment in another currency than the account's, on both databases: a
real bank books it in the account's currency (TxAmt) and names the amount as ordered (InstdAmt);
the payment is Paid when what was ordered is what was sent, and held when it is not."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from paybot.core.bankfiles.camt054 import read_camt054
from paybot.core.bankfiles.model import Entry, EntryTransaction
from paybot.core.payments import ReferenceType
from paybot.core.states import PaymentStatus
from paybot.services import posting, rates, returns
from paybot.store.uow import UnitOfWork
from tests.builders import (
    COMPANY_ACCOUNT,
    NOW,
    ORG_NO,
    OSLO,
    SIGNER,
    Authenticator,
    a_supplier,
    an_item,
    ledger_with,
    sign_with,
)
from tests.services.test_returns import SENT, Bank, camt054, ingest, lines, view
from tests.services.test_returns import phone as phone  # noqa: F401 (the fixture)

DE_IBAN = "DE89370400440532013000"


@pytest.fixture
def euro_payment(uow: UnitOfWork, signed_euro: int, bank: Bank) -> dict[str, Any]:
    """The payment, sent to a bank that has not answered yet."""
    bank.send(uow, bank.folders())
    return {"id": signed_euro}


@pytest.fixture
def signed_euro(uow: UnitOfWork, phone: Authenticator) -> int:
    """A SEPA payment of EUR 1,250.00 to Berlin, signed (Due)."""
    rates.set_rate(uow, currency="EUR", rate=Decimal("11.5"), valid_from=date(2026, 11, 1), now=NOW)
    item = an_item(
        account=DE_IBAN,
        currency="EUR",
        supplier_name="Müller GmbH",
        supplier_org_no=None,
        reference_type=ReferenceType.MESSAGE,
        reference="Rechnung 7",
    )
    supplier = a_supplier(
        name="Müller GmbH", org_no=None, account=DE_IBAN, town="Berlin", country="DE"
    )
    payment_id = int(ledger_with(uow, [item], [supplier])[item.voucher_no].id)
    sign_with(uow, phone, [payment_id])
    return payment_id


@pytest.fixture
def bank(tmp_path: Any) -> Bank:
    return Bank(tmp_path)


def booked_in_nok(
    engine: Engine, payment_id: int, nok: Decimal, instructed: tuple[Decimal, str] | None
) -> Entry:
    """The company's NOK account debited `nok` for the payment, naming what was ordered."""
    line = lines(engine)[payment_id]
    amount, currency = instructed or (None, None)
    return Entry(
        account=COMPANY_ACCOUNT,
        amount=nok,
        currency="NOK",
        direction="DBIT",
        status="BOOK",
        booking_date=date(2026, 11, 24),
        value_date=date(2026, 11, 24),
        bank_reference="REF-FX-1",
        transactions=(
            EntryTransaction(
                end_to_end_id=str(line["end_to_end_id"]),
                amount=nok,
                currency="NOK",
                instructed_amount=amount,
                instructed_currency=currency,
            ),
        ),
    )


def test_booked_in_the_accounts_currency_as_ordered_is_paid_and_keeps_what_was_booked(
    uow: UnitOfWork, engine: Engine, euro_payment: dict[str, Any]
) -> None:
    payment_id = euro_payment["id"]
    entry = booked_in_nok(engine, payment_id, Decimal("14512.50"), (Decimal("1250.00"), "EUR"))

    result = ingest(uow, "fx.xml", camt054("FX-1", [entry]), SENT + timedelta(hours=2))

    assert result.paid == [payment_id] and result.held == []
    assert view(uow, payment_id).status is PaymentStatus.PAID
    # The ledger gets the NOK the bank took; against the EUR at the rate table (11.5: NOK
    # 14,375.00 on the supplier), the difference is a currency loss.
    [voucher] = posting.post(
        uow, actor=SIGNER, company_org_no=ORG_NO, now=SENT + timedelta(days=1), zone=OSLO,
        payment_ids=[payment_id],
    )  # fmt: skip
    amounts = {line.account: (line.debit, line.credit) for line in voucher.lines}
    assert amounts["1920"] == (0, Decimal("14512.50"))
    assert amounts["8160"] == (Decimal("137.50"), 0)


def test_another_amount_ordered_than_was_sent_holds_the_payment(
    uow: UnitOfWork, engine: Engine, euro_payment: dict[str, Any]
) -> None:
    payment_id = euro_payment["id"]
    entry = booked_in_nok(engine, payment_id, Decimal("13932.00"), (Decimal("1200.00"), "EUR"))

    result = ingest(uow, "fx.xml", camt054("FX-1", [entry]), SENT + timedelta(hours=2))

    assert result.held == [payment_id] and result.paid == []
    held = view(uow, payment_id)
    assert (held.status, held.failure_kind) == (PaymentStatus.ON_HOLD, "amount")


def test_a_booking_in_another_currency_that_names_no_ordered_amount_is_held(
    uow: UnitOfWork, engine: Engine, euro_payment: dict[str, Any]
) -> None:
    """Without the amount as ordered, nothing says the NOK booked were the EUR sent: a person
    checks (the rule before the bank said more)."""
    payment_id = euro_payment["id"]
    entry = booked_in_nok(engine, payment_id, Decimal("14512.50"), None)

    result = ingest(uow, "fx.xml", camt054("FX-1", [entry]), SENT + timedelta(hours=2))

    assert result.held == [payment_id]
    assert view(uow, payment_id).status is PaymentStatus.ON_HOLD


def test_the_sandbox_bank_books_a_euro_payment_in_nok_at_its_rate_and_it_is_paid(
    uow: UnitOfWork, engine: Engine, signed_euro: int, bank: Bank
) -> None:
    gateways = bank.sandbox(rates={"EUR": Decimal("11.61")})
    sent = bank.send(uow, gateways)
    _, [entry] = read_camt054("x", (bank.inbox / f"{sent.message_id}-camt054.xml").read_bytes())
    [tx] = entry.transactions
    assert (entry.amount, entry.currency) == (Decimal("14512.50"), "NOK")
    assert (tx.amount, tx.currency) == (Decimal("14512.50"), "NOK")
    assert (tx.instructed_amount, tx.instructed_currency) == (Decimal("1250.00"), "EUR")

    returns.poll(uow, gateways, now=SENT + timedelta(minutes=1))

    assert view(uow, signed_euro).status is PaymentStatus.PAID


def test_beyond_the_balance_counts_the_nok_the_sandbox_would_debit(
    uow: UnitOfWork, signed_euro: int, bank: Bank
) -> None:
    gateways = bank.sandbox(rates={"EUR": Decimal("11.61")}, balance=Decimal("14000"))
    bank.send(uow, gateways)  # EUR 1,250.00 is NOK 14,512.50 here: more than there is

    returns.poll(uow, gateways, now=SENT + timedelta(minutes=1))

    failed = view(uow, signed_euro)
    assert failed.status is PaymentStatus.FAILED and "AM04" in (failed.failure_reason or "")


def test_a_booking_in_the_sends_own_currency_is_compared_as_booked_whatever_it_names_as_ordered(
    uow: UnitOfWork, engine: Engine, euro_payment: dict[str, Any]
) -> None:
    payment_id = euro_payment["id"]
    line = lines(engine)[payment_id]
    entry = Entry(
        account=COMPANY_ACCOUNT,
        amount=Decimal("1260.00"),
        currency="EUR",
        direction="DBIT",
        status="BOOK",
        booking_date=date(2026, 11, 24),
        value_date=date(2026, 11, 24),
        bank_reference="REF-FX-2",
        transactions=(
            EntryTransaction(
                end_to_end_id=str(line["end_to_end_id"]),
                amount=Decimal("1260.00"),
                currency="EUR",
                instructed_amount=Decimal("1250.00"),
                instructed_currency="EUR",
            ),
        ),
    )

    result = ingest(uow, "fx.xml", camt054("FX-2", [entry]), SENT + timedelta(hours=2))

    assert result.held == [payment_id]
    assert view(uow, payment_id).status is PaymentStatus.ON_HOLD
