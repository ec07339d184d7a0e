"""Which payments a possible duplicate looks like: one rule with the flag, so a payment flagged
POSSIBLE_DUPLICATE can always name its look-alikes, and one that names any is flagged."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from paybot.core.flags import PaymentFacts, duplicate_groups, duplicate_keys, duplicate_partners
from paybot.core.payments import ReferenceType

KID = "23456767"
OTHER_KID = "23456761"
SUPPLIER = 10
OTHER_SUPPLIER = 20


def facts(**overrides: Any) -> PaymentFacts:
    values: dict[str, Any] = {
        "key": 1,
        "supplier_key": SUPPLIER,
        "account": "12345678903",
        "amount": Decimal("2219.00"),
        "currency": "NOK",
        "reference_type": ReferenceType.KID,
        "reference": KID,
        "invoice_no": None,
    }
    values.update(overrides)
    return PaymentFacts(**values)


def test_the_same_kid_and_amount_names_the_other_payment() -> None:
    target, twin = facts(key=5), facts(key=6)
    assert duplicate_partners(target, [twin]) == [6]


def test_the_same_invoice_no_names_the_other_payment_even_with_spaces_around_it() -> None:
    target = facts(key=5, invoice_no="F-100", reference=OTHER_KID)
    twin = facts(key=6, invoice_no=" F-100 ", amount=Decimal("10.00"))
    assert duplicate_partners(target, [twin]) == [6]


def test_only_look_alikes_are_named_in_the_candidates_order() -> None:
    target = facts(key=5, invoice_no="F-100")
    candidates = [
        facts(key=9, invoice_no="F-100", reference=OTHER_KID),  # same invoice no
        facts(key=7, amount=Decimal("2219.01")),  # same KID, another amount
        facts(key=8, reference=OTHER_KID),  # same amount, another KID
        facts(key=6),  # same amount and KID
        facts(key=3, supplier_key=OTHER_SUPPLIER, invoice_no="F-100"),  # another supplier
    ]
    assert duplicate_partners(target, candidates) == [9, 6]


def test_a_payment_is_never_its_own_duplicate() -> None:
    target = facts(key=5)
    assert duplicate_partners(target, [target, facts(key=5, invoice_no="X")]) == []


def test_a_deleted_payment_neither_names_nor_is_named() -> None:
    deleted = facts(key=6, counts_for_duplicates=False)
    assert duplicate_partners(facts(key=5), [deleted]) == []
    assert duplicate_partners(deleted, [facts(key=5)]) == []


def test_a_payment_without_a_positive_amount_names_none() -> None:
    credit = facts(key=5, amount=Decimal("-2219.00"), invoice_no="F-100")
    assert duplicate_partners(credit, [facts(key=6, invoice_no="F-100")]) == []
    assert duplicate_groups(credit) == ()


def test_a_message_with_the_same_amount_is_no_look_alike() -> None:
    message = {"reference_type": ReferenceType.MESSAGE, "reference": "Faktura 1"}
    assert duplicate_partners(facts(key=5, **message), [facts(key=6, **message)]) == []


# --- one rule: the flag and the named payments agree ----------------------------------------------

a_payment = st.builds(
    facts,
    supplier_key=st.sampled_from([SUPPLIER, OTHER_SUPPLIER]),
    amount=st.sampled_from([Decimal("-5"), Decimal("0"), Decimal("100"), Decimal("100.00")]),
    reference_type=st.sampled_from(list(ReferenceType)),
    reference=st.sampled_from([None, "", KID, OTHER_KID]),
    invoice_no=st.sampled_from([None, "", " ", "F-1", " F-1", "F-1\t", "F-2"]),
    counts_for_duplicates=st.booleans(),
)


@given(st.lists(a_payment, max_size=12))
def test_a_payment_is_flagged_exactly_when_it_names_a_look_alike(
    drawn: list[PaymentFacts],
) -> None:
    payments = [replace(p, key=key) for key, p in enumerate(drawn)]
    flagged = duplicate_keys(payments)
    for payment in payments:
        partners = duplicate_partners(payment, payments)
        assert (payment.key in flagged) == bool(partners)
        # Each look-alike is flagged too: the flag goes both ways.
        assert flagged.issuperset(partners)
