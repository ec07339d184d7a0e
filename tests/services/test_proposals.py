"""Proposals from the supplier ledger, flagged blue, orange or red (on SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal

import pytest

from paybot.core.errors import ImportRejected
from paybot.core.payments import NO_PAYEE_DETAILS, Flag, PayeeDetails, ReferenceType
from paybot.services import audit_trail, ledger, proposals
from paybot.services.common import company_or_error
from paybot.store import bulk
from paybot.store.uow import UnitOfWork
from tests.builders import (
    ACCOUNT_A,
    ACCOUNT_B,
    KID_MOD10,
    KID_MOD11,
    NOW,
    ORG_NO,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
)


@pytest.fixture(autouse=True)
def company(uow: UnitOfWork) -> None:
    a_company(uow)


def test_complete_invoice_becomes_a_blue_proposal(uow: UnitOfWork) -> None:
    item = an_item()
    payments = ledger_with(uow, [item], [a_supplier()])
    payment = payments[item.voucher_no]
    assert payment.flag is Flag.BLUE
    assert payment.reasons == ()
    assert payment.amount == Decimal("1250.00")
    assert payment.reference == KID_MOD10
    assert payment.payee == "Leverandør AS"


def test_mod11_kid_is_accepted(uow: UnitOfWork) -> None:
    item = an_item(reference=KID_MOD11)
    assert ledger_with(uow, [item], [a_supplier()])[item.voucher_no].flag is Flag.BLUE


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"account": None}, "missing_account"),
        ({"account": "12345678900"}, "invalid_account"),
        ({"account": "NO6686011117948"}, "invalid_account"),
        ({"amount": Decimal("0")}, "non_positive_amount"),
        ({"reference_type": ReferenceType.EMPTY, "reference": None}, "missing_reference"),
        ({"reference": "12345678901"}, "invalid_kid"),
        ({"currency": "XYZ"}, "unsupported_currency"),
    ],
)
def test_incomplete_items_are_red_with_their_reason(
    uow: UnitOfWork, overrides: dict[str, object], reason: str
) -> None:
    item = an_item(**overrides)
    payment = ledger_with(uow, [item])[item.voucher_no]
    assert payment.flag is Flag.RED
    assert reason in [r.value for r in payment.reasons]


def test_every_reason_that_applies_is_listed(uow: UnitOfWork) -> None:
    item = an_item(account="123", amount=Decimal("-5"), reference="99", currency="ABC")
    payment = ledger_with(uow, [item])[item.voucher_no]
    assert [r.value for r in payment.reasons] == [
        "invalid_account",
        "non_positive_amount",
        "invalid_kid",
        "unsupported_currency",
    ]


def test_credit_note_makes_the_suppliers_invoices_orange(uow: UnitOfWork) -> None:
    invoice, credit = (
        an_item(),
        an_item(
            amount=Decimal("-200.00"), reference_type=ReferenceType.MESSAGE, reference="Kreditnota"
        ),
    )
    payments = ledger_with(uow, [invoice, credit], [a_supplier()])
    assert payments[invoice.voucher_no].flag is Flag.ORANGE
    assert [r.value for r in payments[invoice.voucher_no].reasons] == ["open_credit_items"]
    # The credit note itself is an open item, not payable.
    assert payments[credit.voucher_no].flag is Flag.RED
    assert [r.value for r in payments[credit.voucher_no].reasons] == ["non_positive_amount"]


def test_other_suppliers_are_not_affected_by_a_credit_note(uow: UnitOfWork) -> None:
    credit = an_item(amount=Decimal("-200.00"))
    other = an_item(supplier_name="Annen AS", supplier_org_no="974760673", account=ACCOUNT_B)
    payments = ledger_with(uow, [credit, other])
    assert payments[other.voucher_no].flag is Flag.BLUE


def test_payee_account_other_than_the_registered_one_is_orange(uow: UnitOfWork) -> None:
    item = an_item(account=ACCOUNT_B)
    payment = ledger_with(uow, [item], [a_supplier(account=ACCOUNT_A)])[item.voucher_no]
    assert payment.flag is Flag.ORANGE
    assert [r.value for r in payment.reasons] == ["account_changed"]


def test_same_account_in_other_formatting_is_not_a_change(uow: UnitOfWork) -> None:
    item = an_item(account=ACCOUNT_A)
    supplier = a_supplier(account="1234.56.78903")
    assert ledger_with(uow, [item], [supplier])[item.voucher_no].flag is Flag.BLUE


def test_same_invoice_number_twice_marks_both_as_possible_duplicates(uow: UnitOfWork) -> None:
    first = an_item(invoice_no="F-17")
    second = an_item(invoice_no="F-17", reference="0000001230")
    payments = ledger_with(uow, [first, second], [a_supplier()])
    for item in (first, second):
        assert [r.value for r in payments[item.voucher_no].reasons] == ["possible_duplicate"]


def test_same_amount_and_kid_marks_both_as_possible_duplicates(uow: UnitOfWork) -> None:
    first, second = an_item(), an_item()  # different invoice numbers, same KID and amount
    payments = ledger_with(uow, [first, second], [a_supplier()])
    assert payments[first.voucher_no].flag is Flag.ORANGE
    assert payments[second.voucher_no].flag is Flag.ORANGE


def test_refresh_adds_only_new_items_and_is_idempotent(uow: UnitOfWork) -> None:
    ledger_with(uow, [an_item()], [a_supplier()])
    again = proposals.refresh(uow, company_org_no=ORG_NO, now=NOW)
    assert again.created == 0
    ledger.import_open_items(
        uow,
        company_org_no=ORG_NO,
        source="more.csv",
        rows=[an_item(reference="0000001230")],
        now=NOW,
    )
    assert proposals.refresh(uow, company_org_no=ORG_NO, now=NOW).created == 1


def test_importing_the_same_items_twice_adds_nothing(uow: UnitOfWork) -> None:
    items = [an_item(), an_item(amount=Decimal("3450.75"))]
    first = ledger.import_open_items(uow, company_org_no=ORG_NO, source="a", rows=items, now=NOW)
    second = ledger.import_open_items(uow, company_org_no=ORG_NO, source="a", rows=items, now=NOW)
    assert (first.new, first.unchanged) == (2, 0)
    assert (second.new, second.unchanged) == (0, 2)


def test_a_changed_voucher_is_refused_and_nothing_is_imported(uow: UnitOfWork) -> None:
    item = an_item()
    ledger.import_open_items(uow, company_org_no=ORG_NO, source="a", rows=[item], now=NOW)
    changed = an_item(
        voucher_no=item.voucher_no, invoice_no=item.invoice_no, amount=Decimal("999.00"), line=3
    )
    fresh = an_item()
    with pytest.raises(ImportRejected) as raised:
        ledger.import_open_items(
            uow, company_org_no=ORG_NO, source="b.csv", rows=[fresh, changed], now=NOW
        )
    assert str(raised.value).startswith("b.csv:3: amount:")
    assert proposals.refresh(uow, company_org_no=ORG_NO, now=NOW).created == 1  # only `item`


def test_supplier_account_change_is_updated_and_reflagged(uow: UnitOfWork) -> None:
    item = an_item(account=ACCOUNT_A)
    ledger_with(uow, [item], [a_supplier(account=ACCOUNT_A)])
    result = ledger.import_suppliers(
        uow, company_org_no=ORG_NO, source="s2", rows=[a_supplier(account=ACCOUNT_B)], now=NOW
    )
    assert (result.new, result.updated) == (0, 1)
    proposals.refresh(uow, company_org_no=ORG_NO, now=NOW)
    [payment] = proposals.list_payments(uow, company_org_no=ORG_NO)
    assert [r.value for r in payment.reasons] == ["account_changed"]


def test_money_survives_the_store_exactly(uow: UnitOfWork) -> None:
    big = an_item(amount=Decimal("99999999999999.99"), reference="0000001230")
    small = an_item(amount=Decimal("0.01"))
    payments = ledger_with(uow, [big, small])
    assert payments[big.voucher_no].amount == Decimal("99999999999999.99")
    assert payments[small.voucher_no].amount == Decimal("0.01")


def test_one_refresh_gives_each_new_payment_its_items_values_and_its_own_flag(
    uow: UnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Chunks of two: the proposals go in over several statements, each flag set in several.
    monkeypatch.setattr(bulk, "CHUNK", 2)
    items = [
        an_item(),
        an_item(account=None, reference="0000001230"),
        an_item(amount=Decimal("77.10"), reference="12345678901", due_date=date(2026, 12, 9)),
        an_item(invoice_no="INV-SAME", amount=Decimal("10.00"), reference="0000001230"),
        an_item(invoice_no="INV-SAME", amount=Decimal("20.00"), reference="0000001248"),
        an_item(currency="XYZ", reference="0000001255"),
        an_item(account=ACCOUNT_B, reference="0000001263"),
    ]
    payments = ledger_with(uow, items, [a_supplier()])
    found = [payments[item.voucher_no] for item in items]
    assert [(p.flag, [r.value for r in p.reasons]) for p in found] == [
        (Flag.BLUE, []),
        (Flag.RED, ["missing_account"]),
        (Flag.RED, ["invalid_kid"]),
        (Flag.ORANGE, ["possible_duplicate"]),
        (Flag.ORANGE, ["possible_duplicate"]),
        (Flag.RED, ["unsupported_currency"]),
        (Flag.ORANGE, ["account_changed"]),
    ]
    for item, payment in zip(items, found, strict=True):
        assert (payment.account, payment.amount, payment.currency, payment.due_date) == (
            item.account,
            item.amount,
            item.currency,
            item.due_date,
        )
        assert (payment.reference, payment.invoice_no, payment.payee) == (
            item.reference,
            item.invoice_no,
            "Leverandør AS",
        )
        assert payment.version == 1 and payment.editors == ()
        [event] = audit_trail.history(uow, payment_id=payment.id)
        assert event["action"] == "payment.propose"
    assert [p.id for p in found] == sorted(p.id for p in found)  # in the ledger's order
    assert audit_trail.verify(uow).broken_at is None


def test_each_new_payment_takes_its_suppliers_payee_details(
    uow: UnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "CHUNK", 2)
    details = PayeeDetails(
        street="Unter den Linden",
        building_no="5",
        post_code="10117",
        town="Berlin",
        country="DE",
        bic="COBADEFFXXX",
        charge_bearer="SHAR",
        purpose_code="14",
        purpose_text="Machine parts",
    )
    abroad = a_supplier(name="Maschinen GmbH", org_no=None, account=None)
    ledger.import_suppliers(
        uow, company_org_no=ORG_NO, source="s.csv", rows=[a_supplier(), abroad], now=NOW
    )
    with uow:
        company_id = company_or_error(uow, ORG_NO).id
        supplier_id = uow.ledger.suppliers(company_id)["name:maschinen gmbh"][0]
        uow.ledger.update_supplier(supplier_id, asdict(details))
        uow.commit()
    german = {"supplier_name": "Maschinen GmbH", "supplier_org_no": None}
    items = [
        an_item(**german, account="DE89370400440532013000", currency="NOK", reference="0000001230"),
        an_item(),
        an_item(**german, account="DE89370400440532013000", currency="NOK", reference="0000001248"),
    ]
    payments = ledger_with(uow, items)
    found = [payments[item.voucher_no] for item in items]
    assert [p.payee_details for p in found] == [details, NO_PAYEE_DETAILS, details]
    assert [p.flag for p in found] == [Flag.BLUE, Flag.BLUE, Flag.BLUE]
