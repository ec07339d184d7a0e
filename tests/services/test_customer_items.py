"""The customer invoices listed with what is paid and open on each, on SQLite and PostgreSQL: after
payments matched by KID (exact, within the rounding tolerance, partial, over, and over an invoice
paid in full already), unknown KIDs, a hand match and a hand match undone, each invoice's open
amount is the one stored, and what is listed as paid is what was posted to the customers account
(1500) for it, customer by customer; the credit held is the overpayments' 1500 lines. A payment
the bank took back counts no more. Filters by open and by customer; the number of statements
does not grow with the number of invoices."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, event

from paybot.core.errors import NotFound, ValidationFailed
from paybot.core.ledger_file import read_customer_item_rows
from paybot.services import companies, customer_ledger, incoming
from paybot.services.customer_ledger import CustomerItems, ItemLine, ItemStatus
from paybot.store.uow import UnitOfWork
from tests.builders import NOW, ORG_NO, SIGNER
from tests.core.test_ocr_giro import Tx
from tests.services.test_incoming import (
    KID_EXACT,
    KID_OVER,
    KID_PARTIAL,
    KID_ROUND,
    KID_UNKNOWN,
    acme,
    ingest,
    kid,
    listed,
    ocr,
    open_amounts,
    vouchers,
)

__all__ = ["acme"]  # a fixture, used by name

TODAY = date(2026, 11, 30)
MORE = (
    "invoice_no;customer_name;customer_org_no;amount;currency;invoice_date;due_date;kid\n"
    f"F-5;Østfold Trelast AS;987654325;75.00;EUR;2026-11-03;2026-12-03;{kid('200001')}\n"
)
D = Decimal


def import_rows(uow: UnitOfWork, text: str, source: str = "more.csv") -> None:
    rows = read_customer_item_rows(source, text.encode())
    customer_ledger.import_customer_items(
        uow, company_org_no=ORG_NO, source=source, rows=rows, now=NOW
    )


@pytest.fixture
def ledger(acme: UnitOfWork) -> dict[str, int]:
    """Acme's five invoices (F-1..F-4 in NOK, F-5 in EUR) after two files and two hand steps;
    the payments' ids by what they are."""
    companies.update_settings(acme, org_no=ORG_NO, rounding_tolerance=D("0.50"), now=NOW)
    import_rows(acme, MORE)
    ingest(
        acme,
        ocr(
            Tx(125000, kid=KID_EXACT),  # F-1 matched
            Tx(30000, kid=KID_PARTIAL),  # F-2 partial: 500 open
            Tx(45000, kid=KID_OVER),  # F-3 overpaid: 150 held as credit
            Tx(9950, kid=KID_ROUND),  # F-4 settled: 0.20 to rounding
            Tx(20000, kid=KID_UNKNOWN),  # matched to F-2 by hand
            Tx(7000, kid=KID_UNKNOWN),  # matched to F-2 by hand, then undone
        ),
    )
    ingest(acme, ocr(Tx(5000, kid=KID_EXACT), number="0000002"), name="2.ocr")  # F-1 again
    ids = {(view.kid, view.amount): view.id for view in listed(acme)}
    paid = {
        "exact": ids[KID_EXACT, D("1250.00")],
        "again": ids[KID_EXACT, D("50.00")],
        "partial": ids[KID_PARTIAL, D("300.00")],
        "over": ids[KID_OVER, D("450.00")],
        "round": ids[KID_ROUND, D("99.50")],
        "by_hand": ids[KID_UNKNOWN, D("200.00")],
        "undone": ids[KID_UNKNOWN, D("70.00")],
    }
    for payment in ("by_hand", "undone"):
        incoming.match_by_hand(
            acme, payment_id=paid[payment], invoice_no="F-2", actor=SIGNER, now=NOW
        )
    incoming.undo(acme, payment_id=paid["undone"], actor=SIGNER, now=NOW, today=TODAY)
    return paid


def items(uow: UnitOfWork, **kw: object) -> CustomerItems:
    return customer_ledger.list_items(uow, company_org_no=ORG_NO, **kw)  # type: ignore[arg-type]


def by_invoice(found: CustomerItems) -> dict[str, ItemLine]:
    return {line.invoice_no: line for line in found.items}


def customers_account_by_party(uow: UnitOfWork) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """From the vouchers: what each customer's lines on 1500 credit net (credit less debit),
    and of that, what their 'held as credit' lines do."""
    net: dict[str, Decimal] = defaultdict(Decimal)
    held: dict[str, Decimal] = defaultdict(Decimal)
    for voucher in vouchers(uow):
        for line in voucher.lines:
            if line.account != "1500":
                continue
            assert line.party is not None  # a customer's line, always
            net[line.party.name] += line.credit - line.debit
            if "held as credit" in line.text:
                held[line.party.name] += line.credit - line.debit
    return dict(net), {name: amount for name, amount in held.items() if amount}


def test_each_invoice_shows_what_is_paid_and_open_as_the_ledger_has_it(
    acme: UnitOfWork, ledger: dict[str, int], engine: Engine
) -> None:
    found = items(acme)

    assert [
        (x.invoice_no, x.amount, x.paid, x.open, x.credit, x.status, x.payment_ids)
        for x in found.items
    ] == [  # by customer (Ø after Z), then due date
        ("F-3", D("300.00"), D("450.00"), D("0.00"), D("150.00"), "overpaid", (ledger["over"],)),
        ("F-4", D("99.70"), D("99.70"), D("0.00"), D("0.00"), "paid", (ledger["round"],)),
        (
            "F-1",
            D("1250.00"),
            D("1300.00"),
            D("0.00"),
            D("50.00"),
            "overpaid",
            (ledger["exact"], ledger["again"]),
        ),
        (
            "F-2",
            D("800.00"),
            D("500.00"),
            D("300.00"),
            D("0.00"),
            "part-paid",
            (ledger["partial"], ledger["by_hand"]),
        ),
        ("F-5", D("75.00"), D("0.00"), D("75.00"), D("0.00"), "open", ()),
    ]
    # The open amounts are the store's, and what was cleared is what the invoice lacks of them.
    stored = open_amounts(engine)
    for line in found.items:
        assert line.open == stored[line.invoice_no][0]
        assert line.paid - line.credit == line.amount - line.open
    # What is paid is what the customers account was credited with, customer by customer (the
    # hand match undone is there twice, posted and reversed); the credit is the excess lines'.
    net, held = customers_account_by_party(acme)
    paid_by_customer: dict[str, Decimal] = defaultdict(Decimal)
    for line in found.items:
        paid_by_customer[line.customer_name] += line.paid
    assert net == {name: paid for name, paid in paid_by_customer.items() if paid}
    assert {c.customer_name: c.amount for c in found.credits} == held
    credits = [(c.customer_name, c.customer_org_no, c.amount, c.invoices) for c in found.credits]
    assert credits == [
        ("Annen Kunde", None, D("150.00"), ("F-3",)),
        ("Kunde AS", "923609016", D("50.00"), ("F-1",)),
    ]
    assert [(t.currency, t.items, t.amount, t.paid, t.open) for t in found.totals] == [
        ("NOK", 4, D("2449.70"), D("2349.70"), D("300.00")),
        ("EUR", 1, D("75.00"), D("0.00"), D("75.00")),
    ]
    assert sum(net.values()) == found.totals[0].paid
    assert found.customers_account == "1500"


def test_a_payment_the_bank_took_back_counts_no_more(
    acme: UnitOfWork, ledger: dict[str, int], engine: Engine
) -> None:
    back = Tx(45000, kid=KID_OVER, type=18, sign="-")
    ingest(acme, ocr(back, number="0000003"), name="r.ocr")

    f3 = by_invoice(items(acme))["F-3"]

    assert (f3.paid, f3.open, f3.credit, f3.status, f3.payment_ids) == (
        D("0.00"),
        D("300.00"),
        D("0.00"),
        ItemStatus.OPEN,
        (),
    )
    assert open_amounts(engine)["F-3"][0] == f3.open
    net, held = customers_account_by_party(acme)
    assert "Annen Kunde" not in held
    assert net["Annen Kunde"] == by_invoice(items(acme))["F-4"].paid
    assert [c.customer_name for c in items(acme).credits] == ["Kunde AS"]


def test_open_only_lists_what_is_still_owed_and_keeps_the_credit(
    acme: UnitOfWork, ledger: dict[str, int]
) -> None:
    found = items(acme, open_only=True)

    assert [line.invoice_no for line in found.items] == ["F-2", "F-5"]
    assert [(t.currency, t.items, t.open) for t in found.totals] == [
        ("NOK", 1, D("300.00")),
        ("EUR", 1, D("75.00")),
    ]
    # Credit is held on invoices paid in full: listed however the invoices are filtered.
    assert [c.customer_name for c in found.credits] == ["Annen Kunde", "Kunde AS"]


@pytest.mark.parametrize(
    ("text", "invoices", "credit"),
    [
        ("kunde", ["F-3", "F-4", "F-1", "F-2"], ["Annen Kunde", "Kunde AS"]),
        ("ANNEN", ["F-3", "F-4"], ["Annen Kunde"]),
        ("østfold", ["F-5"], []),  # not ASCII, case-insensitive all the same
        ("ØSTFOLD TRELAST", ["F-5"], []),
        ("987654325", ["F-5"], []),
        ("987 654", ["F-5"], []),  # an organisation number as people write it
        ("9236", ["F-1", "F-2"], ["Kunde AS"]),
        ("Nobody", [], []),
    ],
)
def test_customer_filters_by_part_of_a_name_or_organisation_number(
    acme: UnitOfWork, ledger: dict[str, int], text: str, invoices: list[str], credit: list[str]
) -> None:
    found = items(acme, customer=text)

    assert [line.invoice_no for line in found.items] == invoices
    assert [c.customer_name for c in found.credits] == credit


def test_an_empty_customer_filter_and_an_unknown_company_are_refused(acme: UnitOfWork) -> None:
    with pytest.raises(ValidationFailed, match="customer"):
        items(acme, customer="  ")
    with pytest.raises(NotFound, match="No company with organisation number 923609016"):
        customer_ledger.list_items(acme, company_org_no="923609016")


def test_invoices_as_imported_are_open_for_their_whole_amount(acme: UnitOfWork) -> None:
    fresh = items(acme)
    assert len(fresh.items) == 4 and not fresh.credits  # the four as imported: all open
    assert {line.status for line in fresh.items} == {ItemStatus.OPEN}
    assert all(line.paid == 0 and line.open == line.amount for line in fresh.items)


def test_the_statements_do_not_grow_with_the_number_of_invoices(
    acme: UnitOfWork, ledger: dict[str, int], engine: Engine
) -> None:
    statements: list[str] = []

    def counted(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", counted)
    try:
        items(acme)
        few = len(statements)
        statements.clear()
        header = MORE.splitlines()[0]
        kids = [kid(f"3{n:05d}") for n in range(200)]
        rows = [f"G-{n};Kunde {n} AS;;{n + 1}.00;NOK;;;{k}" for n, k in enumerate(kids)]
        import_rows(acme, "\n".join([header, *rows]) + "\n", "many.csv")
        paying = [Tx((n + 1) * 100, kid=k) for n, k in enumerate(kids)]
        ingest(acme, ocr(*paying, number="0000004"), name="many.ocr")
        statements.clear()
        many = items(acme)
    finally:
        event.remove(engine, "before_cursor_execute", counted)

    assert len(many.items) == 205
    assert len(statements) == few
