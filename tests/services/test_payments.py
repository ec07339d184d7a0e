"""Approve, sign, delete, restore and fix: roles, states, audit, all-or-nothing (both databases)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paybot.core.errors import InvalidTransition, NotFound, NotPermitted, ValidationFailed
from paybot.core.payments import Flag, ReferenceType
from paybot.core.states import PaymentStatus
from paybot.services import payments
from paybot.services.common import ActorRef
from paybot.store.uow import UnitOfWork
from tests.builders import (
    ACCOUNT_A,
    ACCOUNT_B,
    APPROVER,
    NOW,
    SIGNER,
    VIEWER,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
    sign_with,
)


@pytest.fixture(autouse=True)
def phone(uow: UnitOfWork) -> Authenticator:
    signer_phone = a_company(uow)
    assert signer_phone is not None
    return signer_phone


def a_proposal(uow: UnitOfWork, **overrides: object) -> int:
    item = an_item(**overrides)
    return int(ledger_with(uow, [item], [a_supplier()])[item.voucher_no].id)


def events(uow: UnitOfWork, payment_id: int) -> list[str]:
    return [event["action"] for event in payments.show(uow, payment_id=payment_id).history]


def test_approver_approves_and_signer_signs(uow: UnitOfWork, phone: Authenticator) -> None:
    payment_id = a_proposal(uow)
    [approved] = payments.approve(uow, actor=APPROVER, payment_ids=[payment_id], now=NOW)
    assert approved.status is PaymentStatus.APPROVED
    [signed] = sign_with(uow, phone, [payment_id])
    assert signed.payment.status is PaymentStatus.DUE
    assert events(uow, payment_id) == ["payment.propose", "payment.approve", "payment.sign"]


def test_signer_may_sign_a_proposal_directly(uow: UnitOfWork, phone: Authenticator) -> None:
    payment_id = a_proposal(uow)
    [signed] = sign_with(uow, phone, [payment_id])
    assert signed.payment.status is PaymentStatus.DUE


@pytest.mark.parametrize(
    ("actor", "action"),
    [
        (VIEWER, payments.approve),
        (VIEWER, payments.delete),
        (VIEWER, payments.restore),
        (SIGNER, payments.approve),
    ],
)
def test_actions_need_their_role_and_change_nothing_without_it(
    uow: UnitOfWork, actor: ActorRef, action: payments.BulkAction
) -> None:
    payment_id = a_proposal(uow)
    with pytest.raises(NotPermitted) as refused:
        action(uow, actor=actor, payment_ids=[payment_id], now=NOW)
    assert "role" in refused.value.user_message
    assert payments.show(uow, payment_id=payment_id).payment.status is PaymentStatus.PROPOSED
    assert events(uow, payment_id) == ["payment.propose", "payment.refused"]


def test_unknown_user_is_refused(uow: UnitOfWork) -> None:
    payment_id = a_proposal(uow)
    with pytest.raises(NotFound, match="UNOBODY"):
        payments.approve(uow, actor=ActorRef("UNOBODY"), payment_ids=[payment_id], now=NOW)


def test_unknown_payment_is_refused(uow: UnitOfWork) -> None:
    with pytest.raises(NotFound, match="no payment 999"):
        payments.approve(uow, actor=APPROVER, payment_ids=[999], now=NOW)


def test_invalid_transition_names_the_current_state(uow: UnitOfWork, phone: Authenticator) -> None:
    payment_id = a_proposal(uow)
    sign_with(uow, phone, [payment_id])
    with pytest.raises(InvalidTransition, match="is due and cannot be approved"):
        payments.approve(uow, actor=APPROVER, payment_ids=[payment_id], now=NOW)


def test_red_payment_cannot_be_approved_or_signed_until_fixed(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    payment_id = a_proposal(uow, account="12345678900")
    with pytest.raises(ValidationFailed, match="account number is not valid"):
        payments.approve(uow, actor=APPROVER, payment_ids=[payment_id], now=NOW)
    with pytest.raises(ValidationFailed, match="account number is not valid"):
        sign_with(uow, phone, [payment_id])
    fixed = payments.fix(uow, actor=APPROVER, payment_id=payment_id, account=ACCOUNT_A, now=NOW)
    assert fixed.flag is Flag.BLUE
    [signed] = sign_with(uow, phone, [payment_id])
    assert signed.payment.status is PaymentStatus.DUE


def test_several_payments_are_acted_on_all_or_none(uow: UnitOfWork, phone: Authenticator) -> None:
    good, bad = an_item(), an_item(account=None, reference="0000001230")
    found = ledger_with(uow, [good, bad], [a_supplier()])
    ids = [found[good.voucher_no].id, found[bad.voucher_no].id]
    with pytest.raises(ValidationFailed, match=f"Payment {ids[1]}"):
        sign_with(uow, phone, ids)
    assert payments.show(uow, payment_id=ids[0]).payment.status is PaymentStatus.PROPOSED


def test_delete_and_restore_bring_the_payment_back_to_proposals(uow: UnitOfWork) -> None:
    payment_id = a_proposal(uow)
    payments.approve(uow, actor=APPROVER, payment_ids=[payment_id], now=NOW)
    [deleted] = payments.delete(uow, actor=SIGNER, payment_ids=[payment_id], now=NOW)
    assert deleted.status is PaymentStatus.DELETED
    [restored] = payments.restore(uow, actor=APPROVER, payment_ids=[payment_id], now=NOW)
    assert restored.status is PaymentStatus.PROPOSED
    assert events(uow, payment_id)[-2:] == ["payment.delete", "payment.restore"]


def test_deleting_one_of_two_duplicates_clears_the_other(uow: UnitOfWork) -> None:
    first, second = an_item(invoice_no="F-1"), an_item(invoice_no="F-1", reference="0000001230")
    found = ledger_with(uow, [first, second], [a_supplier()])
    payments.delete(uow, actor=SIGNER, payment_ids=[found[first.voucher_no].id], now=NOW)
    other = payments.show(uow, payment_id=found[second.voucher_no].id).payment
    assert other.flag is Flag.BLUE


def test_fix_is_validated_field_by_field_and_changes_nothing_when_wrong(uow: UnitOfWork) -> None:
    payment_id = a_proposal(uow)
    with pytest.raises(ValidationFailed) as refused:
        payments.fix(
            uow,
            actor=SIGNER,
            payment_id=payment_id,
            account="123",
            reference="12345678901",
            now=NOW,
        )
    assert set(refused.value.errors) == {"account", "reference"}
    assert payments.show(uow, payment_id=payment_id).payment.account == ACCOUNT_A


def test_fix_after_approval_voids_it_and_is_audited(uow: UnitOfWork) -> None:
    payment_id = a_proposal(uow)
    payments.approve(uow, actor=APPROVER, payment_ids=[payment_id], now=NOW)
    fixed = payments.fix(uow, actor=SIGNER, payment_id=payment_id, account="1503.01.00007", now=NOW)
    assert fixed.status is PaymentStatus.PROPOSED
    assert fixed.account == ACCOUNT_B
    history = payments.show(uow, payment_id=payment_id).history
    assert history[-1]["action"] == "payment.fix"
    assert history[-1]["before"]["account"] == ACCOUNT_A
    assert history[-1]["after"]["account"] == ACCOUNT_B


def test_fix_to_a_message_reference(uow: UnitOfWork) -> None:
    payment_id = a_proposal(uow, reference_type=ReferenceType.EMPTY, reference=None)
    fixed = payments.fix(
        uow,
        actor=APPROVER,
        payment_id=payment_id,
        reference_type=ReferenceType.MESSAGE,
        reference="Faktura 17",
        now=NOW,
    )
    assert (fixed.reference_type, fixed.reference, fixed.flag) == (
        ReferenceType.MESSAGE,
        "Faktura 17",
        Flag.BLUE,
    )


def test_amounts_are_exact_after_actions(uow: UnitOfWork, phone: Authenticator) -> None:
    payment_id = a_proposal(uow, amount=Decimal("1234567.89"))
    [signed] = sign_with(uow, phone, [payment_id])
    assert signed.payment.amount == Decimal("1234567.89")
