"""Blue, orange or red: what a payment lacks, and what should make a person look twice."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from paybot.core.flags import (
    PaymentFacts,
    SupplierFacts,
    assess,
    completeness_reasons,
    duplicate_keys,
)
from paybot.core.payments import (
    RED_REASONS,
    Flag,
    PayeeDetails,
    Reason,
    ReferenceType,
    flag_for,
    sorted_reasons,
)

ACCOUNT = "12345678903"
OTHER_ACCOUNT = "15030100007"
KID = "23456767"  # Luhn-valid
OTHER_KID = "23456761"  # MOD11-valid
SUPPLIER = 10
OTHER_SUPPLIER = 20

ORANGE_REASONS = frozenset(Reason) - RED_REASONS


def facts(**overrides: Any) -> PaymentFacts:
    """A complete payment: valid account, positive NOK amount, valid KID."""
    values: dict[str, Any] = {
        "key": 1,
        "supplier_key": SUPPLIER,
        "account": ACCOUNT,
        "amount": Decimal("1250.00"),
        "currency": "NOK",
        "reference_type": ReferenceType.KID,
        "reference": KID,
        "invoice_no": None,
    }
    values.update(overrides)
    return PaymentFacts(**values)


def reasons_of(payment: PaymentFacts, supplier: SupplierFacts) -> set[Reason]:
    return assess([payment], {payment.supplier_key: supplier})[payment.key]


# --- red: completeness ---------------------------------------------------------------------------


def test_complete_payment_has_no_reasons() -> None:
    assert completeness_reasons(facts()) == set()


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"account": None}, Reason.MISSING_ACCOUNT),
        ({"account": ""}, Reason.MISSING_ACCOUNT),
        ({"account": "12345678904"}, Reason.INVALID_ACCOUNT),
        ({"account": "NO6686011117948"}, Reason.INVALID_ACCOUNT),
        ({"amount": Decimal("0")}, Reason.NON_POSITIVE_AMOUNT),
        ({"amount": Decimal("-100.00")}, Reason.NON_POSITIVE_AMOUNT),
        ({"reference_type": ReferenceType.EMPTY, "reference": None}, Reason.MISSING_REFERENCE),
        ({"reference_type": ReferenceType.EMPTY, "reference": "text"}, Reason.MISSING_REFERENCE),
        ({"reference": None}, Reason.MISSING_REFERENCE),
        ({"reference_type": ReferenceType.MESSAGE, "reference": "   "}, Reason.MISSING_REFERENCE),
        ({"reference": "23456762"}, Reason.INVALID_KID),
        ({"reference": "12A4"}, Reason.INVALID_KID),
        ({"currency": "XYZ"}, Reason.UNSUPPORTED_CURRENCY),
        ({"currency": "nok"}, Reason.UNSUPPORTED_CURRENCY),
    ],
    ids=lambda value: value.value if isinstance(value, Reason) else None,
)
def test_each_missing_or_invalid_detail_gives_its_red_reason(
    overrides: dict[str, Any], reason: Reason
) -> None:
    reasons = completeness_reasons(facts(**overrides))
    assert reasons == {reason}
    assert flag_for(reasons) is Flag.RED


@pytest.mark.parametrize("reference_type", [ReferenceType.MESSAGE, ReferenceType.INVOICE])
def test_a_message_or_invoice_reference_is_not_checked_as_a_kid(
    reference_type: ReferenceType,
) -> None:
    assert (
        completeness_reasons(facts(reference_type=reference_type, reference="Faktura 7")) == set()
    )


def test_valid_iban_and_foreign_currency_with_the_payees_address_are_complete() -> None:
    payee = PayeeDetails(town="Berlin", country="DE")
    payment = facts(account="DE89370400440532013000", currency="EUR", payee=payee)
    assert completeness_reasons(payment) == set()


def test_several_problems_give_several_red_reasons() -> None:
    payment = facts(account=None, amount=Decimal("0"), reference="1", currency="XXY")
    assert completeness_reasons(payment) == {
        Reason.MISSING_ACCOUNT,
        Reason.NON_POSITIVE_AMOUNT,
        Reason.INVALID_KID,
        Reason.UNSUPPORTED_CURRENCY,
    }


# --- orange: open credit items -------------------------------------------------------------------


def test_supplier_with_open_credit_items_turns_the_payment_orange() -> None:
    reasons = reasons_of(facts(), SupplierFacts(open_credit_keys=frozenset({99})))
    assert reasons == {Reason.OPEN_CREDIT_ITEMS}
    assert flag_for(reasons) is Flag.ORANGE


def test_a_credit_item_is_not_its_own_open_credit() -> None:
    payment = facts(key=99)
    assert reasons_of(payment, SupplierFacts(open_credit_keys=frozenset({99}))) == set()


def test_open_credit_items_of_another_supplier_do_not_count() -> None:
    suppliers = {OTHER_SUPPLIER: SupplierFacts(open_credit_keys=frozenset({99}))}
    assert assess([facts()], suppliers) == {1: set()}


# --- orange: account changed ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "supplier",
    [
        SupplierFacts(registered_account=OTHER_ACCOUNT),
        SupplierFacts(last_paid_account=OTHER_ACCOUNT),
        SupplierFacts(registered_account=ACCOUNT, last_paid_account=OTHER_ACCOUNT),
        SupplierFacts(registered_account=OTHER_ACCOUNT, last_paid_account=ACCOUNT),
    ],
    ids=["registered", "last-paid", "last-paid-only", "registered-only"],
)
def test_account_differing_from_a_known_one_is_flagged_as_changed(supplier: SupplierFacts) -> None:
    reasons = reasons_of(facts(), supplier)
    assert reasons == {Reason.ACCOUNT_CHANGED}
    assert flag_for(reasons) is Flag.ORANGE


@pytest.mark.parametrize(
    ("payment_account", "known_account"),
    [
        ("1234.56.78903", "12345678903"),
        ("12345678903", "1234 56 78903"),
        ("no93 8601 1117 947", "NO9386011117947"),
    ],
)
def test_account_formatting_differences_are_not_a_change(
    payment_account: str, known_account: str
) -> None:
    supplier = SupplierFacts(registered_account=known_account, last_paid_account=known_account)
    assert reasons_of(facts(account=payment_account), supplier) == set()


def test_supplier_without_a_known_account_gives_no_account_change() -> None:
    assert reasons_of(facts(), SupplierFacts()) == set()


def test_payment_without_an_account_is_missing_it_rather_than_changed() -> None:
    reasons = reasons_of(facts(account=None), SupplierFacts(registered_account=OTHER_ACCOUNT))
    assert reasons == {Reason.MISSING_ACCOUNT}


# --- orange: possible duplicates -----------------------------------------------------------------


def test_same_invoice_no_from_one_supplier_flags_both_as_possible_duplicates() -> None:
    first = facts(key=1, invoice_no="F-100", reference=KID)
    second = facts(key=2, invoice_no=" F-100 ", reference=OTHER_KID, amount=Decimal("99.00"))
    result = assess([first, second], {})
    assert result == {1: {Reason.POSSIBLE_DUPLICATE}, 2: {Reason.POSSIBLE_DUPLICATE}}
    assert flag_for(result[1]) is Flag.ORANGE


def test_same_amount_and_kid_from_one_supplier_flags_both_as_possible_duplicates() -> None:
    first = facts(key=1, amount=Decimal("1250"), invoice_no="F-1")
    second = facts(key=2, amount=Decimal("1250.00"), invoice_no="F-2")
    assert duplicate_keys([first, second]) == {1, 2}


def test_same_kid_with_a_different_amount_is_not_a_duplicate() -> None:
    first = facts(key=1, amount=Decimal("1250.00"))
    second = facts(key=2, amount=Decimal("1250.01"))
    assert duplicate_keys([first, second]) == set()


def test_same_amount_with_a_different_kid_is_not_a_duplicate() -> None:
    assert duplicate_keys([facts(key=1), facts(key=2, reference=OTHER_KID)]) == set()


def test_same_message_and_amount_is_not_a_duplicate() -> None:
    message = {"reference_type": ReferenceType.MESSAGE, "reference": "Faktura"}
    assert duplicate_keys([facts(key=1, **message), facts(key=2, **message)]) == set()


def test_same_invoice_no_from_different_suppliers_is_not_a_duplicate() -> None:
    first = facts(key=1, invoice_no="F-100")
    second = facts(key=2, invoice_no="F-100", supplier_key=OTHER_SUPPLIER)
    assert duplicate_keys([first, second]) == set()


def test_same_amount_and_kid_from_different_suppliers_is_not_a_duplicate() -> None:
    assert duplicate_keys([facts(key=1), facts(key=2, supplier_key=OTHER_SUPPLIER)]) == set()


def test_deleted_payment_is_not_a_duplicate_of_an_active_one() -> None:
    active = facts(key=1, invoice_no="F-100")
    deleted = replace(active, key=2, counts_for_duplicates=False)
    assert duplicate_keys([active, deleted]) == set()
    assert assess([active, deleted], {})[1] == set()


def test_negative_amounts_are_not_duplicates() -> None:
    first = facts(key=1, invoice_no="K-1", amount=Decimal("-100.00"))
    second = facts(key=2, invoice_no="K-1", amount=Decimal("-100.00"))
    assert duplicate_keys([first, second]) == set()


def test_duplicates_may_be_found_among_payments_outside_the_assessed_ones() -> None:
    proposal = facts(key=1, invoice_no="F-100")
    already_paid = facts(key=2, invoice_no="F-100")
    duplicates = duplicate_keys([proposal, already_paid])
    assert assess([proposal], {}, duplicates=duplicates) == {1: {Reason.POSSIBLE_DUPLICATE}}


def test_three_of_a_kind_are_all_flagged() -> None:
    payments = [facts(key=key, invoice_no="F-7") for key in (1, 2, 3)]
    assert duplicate_keys(payments) == {1, 2, 3}


# --- flag_for and sorted_reasons -----------------------------------------------------------------


def test_no_reasons_is_blue() -> None:
    assert flag_for(set()) is Flag.BLUE


@pytest.mark.parametrize("reason", sorted(ORANGE_REASONS), ids=str)
def test_an_orange_reason_alone_is_orange(reason: Reason) -> None:
    assert flag_for({reason}) is Flag.ORANGE
    assert not reason.is_blocking


@pytest.mark.parametrize("reason", sorted(RED_REASONS), ids=str)
def test_any_red_reason_makes_the_flag_red_whatever_else_applies(reason: Reason) -> None:
    assert flag_for(frozenset({reason})) is Flag.RED
    assert flag_for({reason, *ORANGE_REASONS}) is Flag.RED
    assert reason.is_blocking


def test_sorted_reasons_lists_blocking_reasons_first_in_a_stable_order() -> None:
    reasons = {
        Reason.POSSIBLE_DUPLICATE,
        Reason.UNSUPPORTED_CURRENCY,
        Reason.OPEN_CREDIT_ITEMS,
        Reason.MISSING_ACCOUNT,
        Reason.INVALID_KID,
    }
    assert sorted_reasons(reasons) == (
        Reason.MISSING_ACCOUNT,
        Reason.INVALID_KID,
        Reason.UNSUPPORTED_CURRENCY,
        Reason.OPEN_CREDIT_ITEMS,
        Reason.POSSIBLE_DUPLICATE,
    )


def test_every_blocking_reason_sorts_before_every_other() -> None:
    ordered = sorted_reasons(frozenset(Reason))
    blocking = [reason.is_blocking for reason in ordered]
    assert blocking == sorted(blocking, reverse=True)


def test_every_reason_has_a_description() -> None:
    assert all(reason.description for reason in Reason)


def test_red_payment_also_carries_its_orange_reasons() -> None:
    payment = facts(key=1, reference_type=ReferenceType.EMPTY, reference=None, invoice_no="F-9")
    twin = facts(key=2, invoice_no="F-9")
    supplier = SupplierFacts(registered_account=OTHER_ACCOUNT, open_credit_keys=frozenset({50}))
    reasons = assess([payment, twin], {SUPPLIER: supplier})[1]
    assert reasons == {
        Reason.MISSING_REFERENCE,
        Reason.OPEN_CREDIT_ITEMS,
        Reason.ACCOUNT_CHANGED,
        Reason.POSSIBLE_DUPLICATE,
    }
    assert flag_for(reasons) is Flag.RED
    assert sorted_reasons(reasons) == (
        Reason.MISSING_REFERENCE,
        Reason.OPEN_CREDIT_ITEMS,
        Reason.ACCOUNT_CHANGED,
        Reason.POSSIBLE_DUPLICATE,
    )


def test_a_message_with_nothing_a_bank_accepts_counts_as_missing() -> None:
    payment = facts(reference_type=ReferenceType.MESSAGE, reference="€€€")
    assert completeness_reasons(payment) == {Reason.MISSING_REFERENCE}
