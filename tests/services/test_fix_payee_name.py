"""A fix of the payee's name: a payment red because a bank file keeps no letter of its name is
made blue by a name the file carries as typed; a name the file would not carry is refused on its
field; a new name voids approval and signatures and makes its fixer an editor, as a new account
does. On both databases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from paybot.core.errors import ValidationFailed
from paybot.core.payee_details import PayeeDetailsInvalid, Problem
from paybot.core.payments import Flag, PaymentView, Reason, ReferenceType
from paybot.core.signing import SecondSigner
from paybot.core.states import PaymentStatus
from paybot.services import payments, proposals, rates
from paybot.store.uow import UnitOfWork
from tests.builders import (
    ACCOUNT_A,
    APPROVER,
    NOW,
    ORG_NO,
    SIGNER,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
    sign_with,
)

GB_IBAN = "GB29NWBK60161331926819"
LONDON = {"town": "London", "country": "GB"}
CYRILLIC = "Дмитрий ООО"


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    found = a_company(uow)
    assert found is not None
    rates.set_rate(uow, currency="GBP", rate=Decimal("13.5"), valid_from=date(2026, 11, 1), now=NOW)
    return found


def a_payment(
    uow: UnitOfWork,
    *,
    account: str = GB_IBAN,
    currency: str = "GBP",
    name: str = CYRILLIC,
    **defaults: Any,
) -> PaymentView:
    """A proposal to `account`, its supplier called `name` with `defaults` as its details."""
    item = an_item(
        account=account,
        currency=currency,
        supplier_name=name,
        supplier_org_no=None,
        reference_type=ReferenceType.MESSAGE,
        reference="Invoice 7",
    )
    supplier = a_supplier(name=name, org_no=None, account=account, **defaults)
    found: PaymentView = ledger_with(uow, [item], [supplier])[item.voucher_no]
    return found


def fix(uow: UnitOfWork, payment: PaymentView, **given: Any) -> PaymentView:
    return payments.fix(uow, actor=APPROVER, payment_id=payment.id, now=NOW, **given)


def last_event(uow: UnitOfWork, payment_id: int) -> dict[str, Any]:
    return payments.show(uow, payment_id=payment_id).history[-1]


def refused(uow: UnitOfWork, payment: PaymentView, name: str) -> PayeeDetailsInvalid:
    """The new name is refused on its field, the payment left as it was, the refusal audited."""
    with pytest.raises(PayeeDetailsInvalid) as caught:
        fix(uow, payment, payee=name)
    assert set(caught.value.errors) == {"payee"}
    shown = payments.show(uow, payment_id=payment.id)
    assert (shown.payment.payee, shown.payment.version) == (payment.payee, payment.version)
    assert shown.history[-1]["action"] == "payment.refused"
    return caught.value


def test_a_name_in_latin_letters_makes_a_payment_red_for_its_name_blue(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    payment = a_payment(uow, **LONDON)
    assert payment.reasons == (Reason.INVALID_NAME,)
    fixed = fix(uow, payment, payee="  Dmitrij OOO ")
    assert fixed.payee == "Dmitrij OOO"  # without its surrounding blanks
    assert (fixed.flag, fixed.reasons) == (Flag.BLUE, ())
    event = last_event(uow, payment.id)
    assert event["action"] == "payment.fix"
    assert event["before"]["payee"] == CYRILLIC and event["after"]["payee"] == "Dmitrij OOO"
    # Flagged again from the payment itself, it stays blue: the ledger's name is not taken back.
    proposals.refresh(uow, company_org_no=ORG_NO, now=NOW)
    again = payments.show(uow, payment_id=payment.id).payment
    assert (again.payee, again.flag) == ("Dmitrij OOO", Flag.BLUE)


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("Иван ООО", Problem.NO_WORDS, "has no letters or digits a bank takes"),
        ("   ", Problem.NO_WORDS, "has no letters or digits a bank takes"),
        ("€ ✓", Problem.NO_WORDS, "has no letters or digits a bank takes"),
        (
            " Dmitrij Дмитрий",
            Problem.NOT_SENT,
            '"Д" (U+0414) at position 10 cannot go in a payment file: use Latin letters, '
            "digits and / - ? : ( ) . , ' +",
        ),
        ("x" * 201, Problem.TOO_LONG, "at most 200 characters (got 201)"),
        (
            "Dmitrij\u202eOOO",
            Problem.CHARACTER,
            "control character U+202E at position 8 (right-to-left override)",
        ),
        ("Dmitrij\nOOO", Problem.CHARACTER, "control character U+000A at position 8 (line break)"),
    ],
)
def test_a_name_the_payment_file_would_not_carry_as_typed_is_refused_on_its_field(
    uow: UnitOfWork, phone: Authenticator, name: str, kind: Problem, message: str
) -> None:
    payment = a_payment(uow, **LONDON)
    error = refused(uow, payment, name)
    assert error.errors == {"payee": message}
    assert error.problems["payee"].kind is kind


def test_a_name_of_200_characters_is_taken(uow: UnitOfWork, phone: Authenticator) -> None:
    payment = a_payment(uow, **LONDON)
    assert fix(uow, payment, payee="D" * 200).payee == "D" * 200


def test_the_name_is_judged_as_the_file_of_the_payments_type_writes_it(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    # At home the file keeps æ, ø, å and @; abroad æ is spelled out (ae), @ is left out.
    domestic = a_payment(uow, account=ACCOUNT_A, currency="NOK", name="Kontor AS")
    assert fix(uow, domestic, payee="Ærlig & Østbø @ Ås").payee == "Ærlig & Østbø @ Ås"
    abroad = a_payment(uow, name="Smith Ltd", **LONDON)
    abroad = fix(uow, abroad, payee="Ærlig Østbø")
    assert abroad.payee == "Ærlig Østbø"
    error = refused(uow, abroad, "Smith @ Sons")
    assert error.problems["payee"].kind is Problem.NOT_SENT
    assert error.problems["payee"].values == {"char": "@", "code": "0040", "position": 7}


def test_a_new_name_voids_the_approval_and_its_fixer_may_not_sign_alone(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    payment = a_payment(uow, name="Smith Ltd", **LONDON)
    [approved] = payments.approve(uow, actor=APPROVER, payment_ids=[payment.id], now=NOW)
    assert approved.status is PaymentStatus.APPROVED
    fixed = payments.fix(uow, actor=SIGNER, payment_id=payment.id, payee="Smith & Co", now=NOW)
    assert fixed.status is PaymentStatus.PROPOSED and fixed.approved_by_id is None
    assert len(fixed.editors) == 1
    assert last_event(uow, payment.id)["details"] == {
        "voided_signatures": 0,
        "voided_approval": True,
    }
    # The money may go to someone else: whoever renamed the payee does not sign alone.
    [signed] = sign_with(uow, phone, [payment.id])
    assert not signed.complete and SecondSigner.OWN_CHANGE in signed.why.reasons


def test_a_new_name_voids_a_signature(uow: UnitOfWork, phone: Authenticator) -> None:
    payment = a_payment(uow, **LONDON)
    payment = payments.fix(uow, actor=SIGNER, payment_id=payment.id, payee="Smith", now=NOW)
    [first] = sign_with(uow, phone, [payment.id])  # the signer changed it: one of two
    assert first.payment.status is PaymentStatus.APPROVED and not first.complete
    fixed = fix(uow, first.payment, payee="Smith and Sons Ltd")
    assert fixed.status is PaymentStatus.PROPOSED and len(fixed.editors) == 2
    assert fixed.signature_round == first.payment.signature_round + 1
    assert last_event(uow, payment.id)["details"]["voided_signatures"] == 1


def test_the_name_it_has_given_back_with_another_change_is_left_as_it_is(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    # The Fix modal gives the name it showed: correcting the address only does not refuse it.
    payment = a_payment(uow)
    assert set(payment.reasons) == {Reason.INVALID_NAME, Reason.MISSING_ADDRESS}
    fixed = fix(uow, payment, payee=CYRILLIC, **LONDON)
    assert (fixed.payee, fixed.reasons) == (CYRILLIC, (Reason.INVALID_NAME,))
    assert "payee" not in last_event(uow, payment.id)["after"]
    with pytest.raises(ValidationFailed) as caught:
        fix(uow, fixed, payee=f" {CYRILLIC} ")
    assert caught.value.errors == {"fix": "nothing would change"}


def test_a_refused_name_and_a_wrong_account_are_refused_together(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    payment = a_payment(uow, **LONDON)
    with pytest.raises(PayeeDetailsInvalid) as caught:
        fix(uow, payment, account="GB00NWBK60161331926819", payee=CYRILLIC + "!")
    assert set(caught.value.errors) == {"account", "payee"}
