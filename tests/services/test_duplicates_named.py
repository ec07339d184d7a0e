"""A possible duplicate names the payments it looks like, the paid ones first, so nobody pays a
supplier twice without being told (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from paybot.core.payments import Flag, Reason
from paybot.core.states import PaymentStatus
from paybot.services import payments, proposals
from paybot.store.uow import UnitOfWork
from tests.builders import (
    KID_MOD10,
    NOW,
    ORG_NO,
    SIGNER,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
)
from tests.services.paid_payments import pay

PAID_AT = NOW + timedelta(days=9)


@pytest.fixture(autouse=True)
def company(uow: UnitOfWork) -> None:
    a_company(uow)


def _refresh(uow: UnitOfWork) -> None:
    proposals.refresh(uow, company_org_no=ORG_NO, now=NOW)


def test_a_proposal_names_the_paid_payment_with_the_same_kid_and_amount(
    uow: UnitOfWork, engine: Engine
) -> None:
    proposal, paid = an_item(amount=Decimal("2219.00")), an_item(amount=Decimal("2219.00"))
    found = ledger_with(uow, [proposal, paid], [a_supplier()])
    pay(engine, [found[paid.voucher_no].id], paid_at=PAID_AT)
    _refresh(uow)

    details = payments.show(uow, payment_id=found[proposal.voucher_no].id)

    assert Reason.POSSIBLE_DUPLICATE in details.payment.reasons
    [twin] = details.duplicates_of
    assert twin.payment.id == found[paid.voucher_no].id
    assert twin.payment.status is PaymentStatus.PAID
    assert twin.money_left and twin.paid_at == PAID_AT
    assert (twin.payment.amount, twin.payment.reference) == (Decimal("2219.00"), KID_MOD10)


def test_the_paid_look_alikes_come_first(uow: UnitOfWork, engine: Engine) -> None:
    first, second, third = an_item(), an_item(), an_item()
    found = ledger_with(uow, [first, second, third], [a_supplier()])
    pay(engine, [found[third.voucher_no].id], paid_at=PAID_AT)

    details = payments.show(uow, payment_id=found[first.voucher_no].id)

    named = [twin.payment.id for twin in details.duplicates_of]
    assert named == [found[third.voucher_no].id, found[second.voucher_no].id]
    assert [twin.paid_at for twin in details.duplicates_of] == [PAID_AT, None]


def test_the_same_invoice_no_is_named_and_other_payments_are_not(uow: UnitOfWork) -> None:
    target = an_item(invoice_no="F-100", amount=Decimal("10.00"))
    same_invoice = an_item(invoice_no="F-100", reference="0000001230")
    other_kid = an_item(amount=Decimal("10.00"), reference="0000001230")
    other_supplier = an_item(
        invoice_no="F-100", supplier_name="Annen AS", supplier_org_no="974760673"
    )
    found = ledger_with(uow, [target, same_invoice, other_kid, other_supplier], [a_supplier()])

    details = payments.show(uow, payment_id=found[target.voucher_no].id)

    assert [twin.payment.id for twin in details.duplicates_of] == [
        found[same_invoice.voucher_no].id
    ]


def test_a_deleted_look_alike_is_not_named_and_a_blue_payment_names_none(
    uow: UnitOfWork,
) -> None:
    first, second = an_item(invoice_no="F-1"), an_item(invoice_no="F-1", reference="0000001230")
    found = ledger_with(uow, [first, second], [a_supplier()])
    named = payments.show(uow, payment_id=found[first.voucher_no].id).duplicates_of
    assert [twin.payment.id for twin in named] == [found[second.voucher_no].id]

    payments.delete(uow, actor=SIGNER, payment_ids=[found[second.voucher_no].id], now=NOW)

    details = payments.show(uow, payment_id=found[first.voucher_no].id)
    assert details.payment.flag is Flag.BLUE
    assert details.duplicates_of == ()


def test_the_look_alikes_are_those_the_flag_was_computed_from(
    uow: UnitOfWork, engine: Engine
) -> None:
    """Every payment flagged as a possible duplicate names at least one look-alike, and each
    one named is flagged too (while both can still be acted on)."""
    items = [
        an_item(invoice_no="F-7"),
        an_item(invoice_no="F-7", amount=Decimal("99.00"), reference="0000001230"),
        an_item(invoice_no="F-8", amount=Decimal("99.00"), reference="0000001230"),
        an_item(invoice_no="F-9", amount=Decimal("5.00")),
    ]
    found = ledger_with(uow, items, [a_supplier()])
    for payment in found.values():
        named = payments.show(uow, payment_id=payment.id).duplicates_of
        flagged = Reason.POSSIBLE_DUPLICATE in payment.reasons
        assert flagged == bool(named), payment.voucher_no
        assert all(Reason.POSSIBLE_DUPLICATE in twin.payment.reasons for twin in named)
