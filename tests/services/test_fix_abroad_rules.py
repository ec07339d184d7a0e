"""What a fix of a payment abroad may leave: a purpose code with its text (never one alone), no
purpose on a domestic payment, and texts a payment file carries as typed; and a payee's name
with nothing a bank takes, red until it is written in Latin letters. On both databases."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from paybot.core.errors import ValidationFailed
from paybot.core.payee_details import PayeeDetailsInvalid, Problem
from paybot.core.payments import Flag, PayeeDetails, PaymentView, Reason, ReferenceType
from paybot.services import payments, proposals, rates
from paybot.store.uow import UnitOfWork
from tests.builders import (
    ACCOUNT_A,
    APPROVER,
    NOW,
    ORG_NO,
    Authenticator,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
)

DE_IBAN = "DE89370400440532013000"
GB_IBAN = "GB29NWBK60161331926819"
BERLIN = {"town": "Berlin", "country": "DE"}
PURPOSE = {"purpose_code": "14", "purpose_text": "Maschinenteile"}


@pytest.fixture
def phone(uow: UnitOfWork) -> Authenticator:
    found = a_company(uow)
    assert found is not None
    rates.set_rate(uow, currency="EUR", rate=Decimal("11.5"), valid_from=date(2026, 11, 1), now=NOW)
    return found


def a_payment(
    uow: UnitOfWork,
    *,
    account: str = DE_IBAN,
    currency: str = "EUR",
    name: str = "Müller GmbH",
    **defaults: Any,
) -> PaymentView:
    """A proposal to `account`, its supplier called `name` with `defaults` as its details."""
    item = an_item(
        account=account,
        currency=currency,
        supplier_name=name,
        supplier_org_no=None,
        reference_type=ReferenceType.MESSAGE,
        reference="Rechnung 7",
    )
    supplier = a_supplier(name=name, org_no=None, account=account, **defaults)
    found: PaymentView = ledger_with(uow, [item], [supplier])[item.voucher_no]
    return found


def fix(uow: UnitOfWork, payment: PaymentView, **given: Any) -> PaymentView:
    return payments.fix(uow, actor=APPROVER, payment_id=payment.id, now=NOW, **given)


def refused(uow: UnitOfWork, payment: PaymentView, **given: Any) -> PayeeDetailsInvalid:
    """The fix is refused, the payment left as it was, the refusal in its history."""
    with pytest.raises(PayeeDetailsInvalid) as caught:
        fix(uow, payment, **given)
    shown = payments.show(uow, payment_id=payment.id)
    assert shown.payment.version == payment.version
    assert shown.payment.payee_details == payment.payee_details
    assert shown.history[-1]["action"] == "payment.refused"
    return caught.value


# --- a purpose code goes with its text -----------------------------------------------------------


def test_a_purpose_code_without_its_text_is_refused_naming_the_text(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    payment = a_payment(uow)
    error = refused(uow, payment, **BERLIN, purpose_code="14")
    assert error.errors == {
        "purpose_text": "give the purpose text too: a code is sent with its text"
    }
    assert error.problems["purpose_text"].kind is Problem.PURPOSE_HALF
    assert error.problems["purpose_text"].values == {"missing": "purpose_text"}


def test_a_purpose_text_without_its_code_is_refused_naming_the_code(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    error = refused(uow, a_payment(uow), purpose_text="Maschinenteile")
    assert error.errors == {
        "purpose_code": "give the purpose code too: a text is sent with its code"
    }


def test_one_half_may_join_the_other_the_payment_has_and_both_may_be_cleared(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    payment = a_payment(uow, **BERLIN, **PURPOSE)
    assert payment.payee_details.purpose_code == "14"
    changed = fix(uow, payment, purpose_code="29")
    assert (changed.payee_details.purpose_code, changed.payee_details.purpose_text) == (
        "29",
        "Maschinenteile",
    )
    error = refused(uow, changed, purpose_text="")  # the code would be left alone
    assert set(error.errors) == {"purpose_text"}
    cleared = fix(uow, changed, purpose_code="", purpose_text="")
    assert cleared.payee_details == PayeeDetails(**BERLIN)


def test_a_fix_of_other_details_keeps_what_purpose_the_payment_has(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    # Only the purpose a fix changes is judged: an older half is left to the flags.
    payment = a_payment(uow, **BERLIN)
    fixed = fix(uow, payment, street="Hauptstraße")
    assert fixed.payee_details.street == "Hauptstraße"


def test_a_wrong_code_is_said_before_its_missing_text(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    error = refused(uow, a_payment(uow), purpose_code="99")
    assert set(error.errors) == {"purpose_code"}
    assert error.problems["purpose_code"].kind is Problem.PURPOSE_CODE


# --- a domestic payment carries no purpose -------------------------------------------------------


def test_a_purpose_on_a_domestic_payment_is_refused(uow: UnitOfWork, phone: Authenticator) -> None:
    payment = a_payment(uow, account=ACCOUNT_A, currency="NOK", name="Kontor AS")
    error = refused(uow, payment, **PURPOSE)
    said = "a domestic payment carries no purpose: only payments abroad report one"
    assert error.errors == {"purpose_code": said, "purpose_text": said}
    assert error.problems["purpose_code"].kind is Problem.DOMESTIC_PURPOSE


def test_a_fix_that_makes_a_payment_domestic_takes_no_new_purpose(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    payment = a_payment(uow, currency="NOK")  # NOK to a German IBAN: cross-border
    error = refused(uow, payment, account=ACCOUNT_A, **PURPOSE)
    assert set(error.errors) == {"purpose_code", "purpose_text"}


def test_a_domestic_payment_keeps_and_may_clear_its_suppliers_default_purpose(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    # A supplier paid both ways may carry a default purpose: its domestic payments copy it.
    payment = a_payment(uow, account=ACCOUNT_A, currency="NOK", name="Kontor AS", **PURPOSE)
    assert payment.payee_details.purpose_code == "14"
    kept = fix(uow, payment, reference="Faktura 8")
    assert kept.payee_details.purpose_text == "Maschinenteile"
    cleared = fix(uow, kept, purpose_code="", purpose_text="")
    assert cleared.payee_details == PayeeDetails()


# --- texts a payment file carries as typed -------------------------------------------------------


def test_a_purpose_text_with_nothing_a_bank_takes_is_refused(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    error = refused(uow, a_payment(uow), purpose_code="14", purpose_text="✓✓✓")
    assert error.errors == {"purpose_text": "has no letters or digits a bank takes"}


@pytest.mark.parametrize(("field", "typed"), [("street", "Ωmega 5"), ("purpose_text", "Parts ✓")])
def test_a_character_the_file_would_leave_out_is_refused_naming_it(
    uow: UnitOfWork, phone: Authenticator, field: str, typed: str
) -> None:
    given = {field: typed, "purpose_code": "14"} if field == "purpose_text" else {field: typed}
    error = refused(uow, a_payment(uow), **given)
    assert set(error.errors) == {field}
    char = typed[0] if field == "street" else "✓"
    assert error.errors[field].startswith(f'"{char}" (U+{ord(char):04X}) at position ')


def test_letters_the_file_spells_out_are_taken(uow: UnitOfWork, phone: Authenticator) -> None:
    fixed = fix(uow, a_payment(uow), street="Blåbærveien – 5", town="Tromsø", country="NO")
    assert fixed.payee_details.street == "Blåbærveien – 5"


# --- a payee's name -------------------------------------------------------------------------------


def test_a_payee_named_in_cyrillic_is_red_and_cannot_be_approved(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    london = {"town": "London", "country": "GB"}
    payment = a_payment(uow, account=GB_IBAN, name="Дмитрий ООО", **london)
    assert payment.flag is Flag.RED
    assert payment.reasons == (Reason.INVALID_NAME,)
    # Flagged again from the payment itself (after a fix), it stays red.
    fixed = fix(uow, payment, street="Baker Street")
    assert fixed.reasons == (Reason.INVALID_NAME,)
    proposals.refresh(uow, company_org_no=ORG_NO, now=NOW)
    again = payments.show(uow, payment_id=payment.id).payment
    assert again.reasons == (Reason.INVALID_NAME,)
    with pytest.raises(ValidationFailed) as caught:
        payments.approve(uow, actor=APPROVER, payment_ids=[payment.id], now=NOW)
    assert "the payee's name has no letters a bank takes: write it in Latin letters" in (
        caught.value.user_message
    )


def test_a_payee_named_in_latin_letters_is_not_red_for_its_name(
    uow: UnitOfWork, phone: Authenticator
) -> None:
    payment = a_payment(uow, account=GB_IBAN, name="Dmitri OOO", town="London", country="GB")
    assert payment.flag is Flag.BLUE, payment.reasons
