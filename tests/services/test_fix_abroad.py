"""Fixing the payee's details of a payment abroad (address, country, BIC, charge bearer,
purpose) and whether it is urgent: validated, audited, voiding approval and signatures as any
fix does; on both databases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from paybot.core.errors import NotPermitted, ValidationFailed
from paybot.core.payee_details import PayeeDetailsInvalid
from paybot.core.payments import Flag, PayeeDetails, PaymentView, Reason, ReferenceType
from paybot.core.signing import SecondSigner
from paybot.core.states import PaymentStatus
from paybot.services import payments, rates
from paybot.store.uow import UnitOfWork
from tests.builders import (
    ACCOUNT_A,
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

DE_IBAN = "DE89370400440532013000"
US_ACCOUNT = "000123456789"
ADDRESS = {
    "street": "Hauptstraße",
    "building_no": "5",
    "post_code": "10115",
    "town": "Berlin",
    "country": "DE",
}
PURPOSE = {"purpose_code": "14", "purpose_text": "Maschinenteile"}


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    found = a_company(uow)
    assert found is not None
    for currency, rate in (("EUR", "11.5"), ("USD", "10.5")):  # to sign within limits
        rates.set_rate(
            uow, currency=currency, rate=Decimal(rate), valid_from=date(2026, 11, 1), now=NOW
        )
    return found


def a_payment(uow: UnitOfWork, *, account: str = DE_IBAN, currency: str = "EUR") -> PaymentView:
    """A proposal paid from the ledger to `account`: the supplier's own account (not changed)."""
    item = an_item(
        account=account,
        currency=currency,
        reference_type=ReferenceType.MESSAGE,
        reference="Rechnung 7",
    )
    return ledger_with(uow, [item], [a_supplier(account=account)])[item.voucher_no]  # type: ignore[no-any-return]


def fix(uow: UnitOfWork, payment: PaymentView, **given: Any) -> PaymentView:
    return payments.fix(uow, actor=APPROVER, payment_id=payment.id, now=NOW, **given)


def last_event(uow: UnitOfWork, payment_id: int) -> dict[str, Any]:
    return payments.show(uow, payment_id=payment_id).history[-1]  # type: ignore[no-any-return]


def test_a_sepa_payment_without_address_is_red_and_the_address_fixes_it(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    payment = a_payment(uow)
    assert Reason.MISSING_ADDRESS in payment.reasons
    fixed = fix(uow, payment, **ADDRESS, **PURPOSE, bic=" deut de ff ", charge_bearer="cred")
    assert fixed.payee_details == PayeeDetails(
        **ADDRESS, bic="DEUTDEFF", charge_bearer="CRED", **PURPOSE
    )
    assert Reason.MISSING_ADDRESS not in fixed.reasons
    assert fixed.flag is Flag.BLUE, fixed.reasons
    assert fixed.signature_round == payment.signature_round + 1
    event = last_event(uow, payment.id)
    assert event["action"] == "payment.fix"
    assert event["before"]["town"] is None and event["after"]["town"] == "Berlin"
    assert event["after"]["bic"] == "DEUTDEFF" and "urgent" not in event["after"]
    # Only what was given is written and audited: the account and reference as always.
    assert set(event["after"]) == {
        *ADDRESS, *PURPOSE, "bic", "charge_bearer", "account", "reference_type", "reference",
        "status", "version",
    }  # fmt: skip


def test_an_empty_detail_clears_it_and_none_leaves_it(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    payment = fix(uow, a_payment(uow), **ADDRESS, bic="DEUTDEFF")
    fixed = fix(uow, payment, street="", building_no="  ", bic="")
    assert fixed.payee_details == PayeeDetails(post_code="10115", town="Berlin", country="DE")
    assert last_event(uow, payment.id)["before"]["bic"] == "DEUTDEFF"


def test_the_same_details_again_change_nothing(uow: UnitOfWork, phone: Authenticator) -> None:
    payment = fix(uow, a_payment(uow), **ADDRESS)
    with pytest.raises(ValidationFailed) as refused:
        fix(uow, payment, town=" Berlin ", country="de")
    assert refused.value.errors == {"fix": "nothing would change"}


def test_wrong_details_are_each_named_and_nothing_is_changed(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    payment = a_payment(uow)
    with pytest.raises(PayeeDetailsInvalid) as refused:
        fix(uow, payment, town="Berlin", country="Germany", bic="DEUT", purpose_code="99")
    assert set(refused.value.errors) == {"country", "bic", "purpose_code"}
    assert refused.value.errors["country"].endswith("Germany is DE")
    shown = payments.show(uow, payment_id=payment.id)
    assert shown.payment.payee_details == payment.payee_details
    assert shown.payment.version == payment.version
    assert shown.history[-1]["action"] == "payment.refused"


def test_the_payees_country_makes_an_account_number_abroad_valid(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    payment = a_payment(uow, account=US_ACCOUNT, currency="USD")
    assert Reason.INVALID_ACCOUNT in payment.reasons
    fixed = fix(uow, payment, town="New York", country="US")
    assert Reason.INVALID_ACCOUNT not in fixed.reasons
    assert Reason.MISSING_BIC in fixed.reasons  # not an IBAN: the bank's BIC is needed
    fixed = fix(uow, fixed, bic="CHASUS33", **PURPOSE)
    assert fixed.flag is Flag.BLUE, fixed.reasons
    # The account is judged with the country: without it the same number is refused.
    with pytest.raises(ValidationFailed) as refused:
        fix(uow, fixed, country="")
    assert set(refused.value.errors) == {"account"}


def test_a_new_bic_voids_the_approval_and_its_fixer_may_not_sign_alone(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    payment = a_payment(uow)
    payments.fix(uow, actor=SIGNER, payment_id=payment.id, now=NOW, **ADDRESS, **PURPOSE)
    [approved] = payments.approve(uow, actor=APPROVER, payment_ids=[payment.id], now=NOW)
    assert approved.status is PaymentStatus.APPROVED
    assert approved.editors == ()  # someone who did not change it checked it
    fixed = payments.fix(uow, actor=SIGNER, payment_id=payment.id, bic="COBADEFF", now=NOW)
    assert fixed.status is PaymentStatus.PROPOSED and fixed.approved_by_id is None
    assert len(fixed.editors) == 1
    assert last_event(uow, payment.id)["details"] == {
        "voided_signatures": 0,
        "voided_approval": True,
    }
    # Money may go to another bank: whoever changed the BIC does not sign alone.
    [signed] = sign_with(uow, phone, [payment.id])
    assert not signed.complete and SecondSigner.OWN_CHANGE in signed.why.reasons


def test_a_new_country_voids_a_signature_and_adds_its_fixer_to_the_editors(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    payment = a_payment(uow, account=US_ACCOUNT, currency="USD")
    payment = payments.fix(
        uow, actor=SIGNER, payment_id=payment.id, town="Chicago", country="US",
        bic="CHASUS33", now=NOW, **PURPOSE,
    )  # fmt: skip
    [first] = sign_with(uow, phone, [payment.id])  # the signer changed it: one of two
    assert first.payment.status is PaymentStatus.APPROVED and not first.complete
    fixed = fix(uow, first.payment, country="CA")
    assert fixed.status is PaymentStatus.PROPOSED
    assert fixed.payee_details.country == "CA" and len(fixed.editors) == 2
    assert last_event(uow, payment.id)["details"]["voided_signatures"] == 1


def test_urgent_only_for_a_cross_border_payment(uow: UnitOfWork, phone: Authenticator) -> None:
    sepa = a_payment(uow)
    with pytest.raises(PayeeDetailsInvalid) as refused:
        fix(uow, sepa, urgent=True)
    assert refused.value.errors == {
        "urgent": "only a cross-border payment can be sent as urgent; this is a SEPA payment"
    }
    domestic = a_payment(uow, account=ACCOUNT_A, currency="NOK")
    with pytest.raises(PayeeDetailsInvalid):
        fix(uow, domestic, urgent=True)
    usd = a_payment(uow, currency="USD")  # USD to a German IBAN: cross-border
    urgent = fix(uow, usd, urgent=True)
    assert urgent.urgent is True
    assert last_event(uow, usd.id)["after"]["urgent"] is True
    assert fix(uow, urgent, urgent=False).urgent is False


def test_an_urgent_payment_that_a_fix_makes_domestic_is_no_longer_urgent(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    abroad = a_payment(uow, account=US_ACCOUNT, currency="NOK")
    abroad = fix(uow, abroad, town="Chicago", country="US", urgent=True)
    assert abroad.urgent is True
    fixed = fix(uow, abroad, account=ACCOUNT_A, country="NO")
    assert fixed.urgent is False
    event = last_event(uow, abroad.id)
    assert (event["before"]["urgent"], event["after"]["urgent"]) == (True, False)


def test_a_viewer_may_not_fix_the_details(uow: UnitOfWork, phone: Authenticator) -> None:
    payment = a_payment(uow)
    with pytest.raises(NotPermitted):
        payments.fix(uow, actor=VIEWER, payment_id=payment.id, town="Berlin", now=NOW)
    assert payments.show(uow, payment_id=payment.id).payment.payee_details.town is None


def test_nothing_given_is_refused(uow: UnitOfWork, phone: Authenticator) -> None:
    with pytest.raises(ValidationFailed, match="give an account"):
        fix(uow, a_payment(uow))


def test_amounts_stay_exact(uow: UnitOfWork, phone: Authenticator) -> None:
    payment = fix(uow, a_payment(uow), **ADDRESS)
    assert payment.amount == Decimal("1250.00")
