"""Undoing a hand step on an incoming payment, on SQLite and PostgreSQL: a payment posted by hand
to a GL account, or matched by hand to an invoice, is undone as accounting does it: a reversing
voucher (the same lines, debit and credit swapped, dated the business day given, its text naming
the voucher it reverses), the invoice opened again by exactly what the match cleared, and the
payment unmatched again for a person. Nothing is deleted or edited. A match by KID, a deleted or
reversed payment and a payment unmatched already are refused by name; so are a person without
the role and a payment changed since it was shown."""

from __future__ import annotations

import csv
import io
import threading
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal
from itertools import count as numbers

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from paybot.core.chart_of_accounts import read_chart
from paybot.core.errors import (
    ConcurrentChange,
    InvalidTransition,
    NotFound,
    NotPermitted,
    PaybotError,
)
from paybot.core.ledger_file import read_customer_item_rows
from paybot.core.posting import VoucherRef
from paybot.services import chart_of_accounts, customer_ledger, incoming, ledger_out
from paybot.services.common import ActorRef
from paybot.services.incoming import IncomingStatus, IncomingView, Undone
from paybot.store.models import CustomerItem as CustomerItemRow
from paybot.store.models import IncomingPaymentRow
from paybot.store.models import Voucher as VoucherRow
from paybot.store.uow import UnitOfWork
from tests.builders import APPROVER, NOW, ORG_NO, SIGNER, VIEWER
from tests.core.test_ocr_giro import Tx
from tests.services.test_incoming import (
    KID_EXACT,
    KID_PARTIAL,
    KID_UNKNOWN,
    acme,
    count,
    ingest,
    kid,
    listed,
    ocr,
    open_amounts,
    unmatched,
    vouchers,
)

__all__ = ["acme", "unmatched"]  # fixtures, used by name

TODAY = date(2026, 11, 30)  # the business day of the undo: a week after the payments came


def post(uow: UnitOfWork, payment_id: int, account: str = "3900", **kw: object) -> IncomingView:
    return incoming.post_by_hand(
        uow,
        payment_id=payment_id,
        account=account,
        text="Refund from NAV",
        actor=kw.pop("actor", SIGNER),  # type: ignore[arg-type]
        now=NOW,
        **kw,  # type: ignore[arg-type]
    )


def match(uow: UnitOfWork, payment_id: int, invoice_no: str) -> IncomingView:
    return incoming.match_by_hand(
        uow, payment_id=payment_id, invoice_no=invoice_no, actor=SIGNER, now=NOW
    )


def undo(uow: UnitOfWork, payment_id: int, **kw: object) -> Undone:
    values: dict[str, object] = {"actor": SIGNER, "now": NOW, "today": TODAY} | kw
    return incoming.undo(uow, payment_id=payment_id, **values)  # type: ignore[arg-type]


def view_of(uow: UnitOfWork, payment_id: int) -> IncomingView:
    [view] = [v for v in listed(uow) if v.id == payment_id]
    return view


def balances(uow: UnitOfWork) -> dict[str, Decimal]:
    _, found = ledger_out.balances(uow, company_org_no=ORG_NO)
    return {b.account: b.balance for b in found}


def undo_events(uow: UnitOfWork) -> list[dict[str, object]]:
    with uow:
        return list(uow.audit.latest(10, "incoming.undo"))


# --- a hand posting ---------------------------------------------------------------------------


def test_undoing_a_hand_posting_posts_its_mirror_today_and_the_payment_waits_again(
    acme: UnitOfWork, unmatched: list[int]
) -> None:
    posted = post(acme, unmatched[0])

    undone = undo(acme, unmatched[0])

    assert undone.undid == "post" and undone.account == "3900"
    assert (undone.voucher, undone.reversal) == (VoucherRef(2026, 1), VoucherRef(2026, 2))
    view = undone.payment
    assert (view.status, view.voucher, view.version) == (
        IncomingStatus.UNMATCHED,
        None,
        posted.version + 1,
    )
    assert (view.reason, view.invoice_no) == ("unknown_kid", None)
    assert unmatched[0] in [v.id for v in listed(acme, IncomingStatus.UNMATCHED)]
    original, reversal = vouchers(acme)
    assert reversal.day == TODAY and original.day == date(2026, 11, 23)
    assert "voucher 1 of 2026" in reversal.text and f"#{unmatched[0]}" in reversal.text
    assert [(x.account, x.debit, x.credit) for x in reversal.lines] == [
        (x.account, x.credit, x.debit) for x in original.lines
    ]
    assert all(x.text.startswith("Reversed: ") for x in reversal.lines)
    assert balances(acme) == {"1920": Decimal("0.00"), "3900": Decimal("0.00")}
    [event] = undo_events(acme)
    assert event["details"]["voucher"] == 1  # type: ignore[index]
    assert event["details"]["reversing_voucher"] == 2  # type: ignore[index]
    assert event["details"]["undid"] == "post"  # type: ignore[index]


def test_undo_then_post_again_and_the_export_shows_all_three_vouchers_balancing(
    acme: UnitOfWork, unmatched: list[int]
) -> None:
    post(acme, unmatched[0])
    undo(acme, unmatched[0])

    again = post(acme, unmatched[0], "3400")

    assert (again.status, again.voucher) == (IncomingStatus.POSTED, VoucherRef(2026, 3))
    assert balances(acme) == {
        "1920": Decimal("250.00"),
        "3900": Decimal("0.00"),
        "3400": Decimal("-250.00"),
    }
    out = io.BytesIO()
    ledger_out.export(
        acme,
        company_org_no=ORG_NO,
        day_from=date(2026, 1, 1),
        day_to=date(2026, 12, 31),
        kind=ledger_out.LedgerFormat.CSV,
        out=out,
        now=NOW,
    )
    rows = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig")), delimiter=";"))[1:]
    assert len({row[0] for row in rows}) == 3 and len(rows) == 6
    on_3900 = [row for row in rows if "3900" in row]
    assert len(on_3900) == 2  # the posting and its reversal


def test_a_hand_posting_to_an_account_the_chart_has_closed_since_is_still_undone(
    acme: UnitOfWork, unmatched: list[int]
) -> None:
    """The reversal takes the money off the wrong account: a chart that closed the account for
    posting by hand after the mistake must not keep the mistake in the ledger."""
    post(acme, unmatched[0])
    rows = read_chart("chart.csv", b"number;name;by_hand\n1920;Bank;\n3900;Annen inntekt;nei\n")
    chart_of_accounts.import_chart(
        acme, company_org_no=ORG_NO, source="chart.csv", rows=rows, now=NOW
    )

    undone = undo(acme, unmatched[0])

    assert undone.payment.status is IncomingStatus.UNMATCHED
    assert balances(acme)["3900"] == Decimal("0.00")


def test_a_payment_undone_and_then_taken_back_by_the_bank_posts_nothing_more(
    acme: UnitOfWork, unmatched: list[int], engine: Engine
) -> None:
    post(acme, unmatched[0])
    undo(acme, unmatched[0])

    back = ocr(Tx(25000, kid=KID_UNKNOWN, type=18, sign="-"), number="0000009")
    result = ingest(acme, back, name="back.ocr")

    assert (result.counts, result.vouchers) == ({"reversed": 1}, 0)
    assert view_of(acme, unmatched[0]).status is IncomingStatus.REVERSED
    assert count(engine, VoucherRow) == 2
    assert set(balances(acme).values()) == {Decimal("0.00")}


# --- a hand match -----------------------------------------------------------------------------


def test_undoing_a_hand_match_opens_the_invoice_again_exactly(
    acme: UnitOfWork, unmatched: list[int], engine: Engine
) -> None:
    before = view_of(acme, unmatched[2])
    match(acme, unmatched[2], "F-2")  # NOK 800 pays F-2 in full
    assert open_amounts(engine)["F-2"] == (Decimal("0.00"), "closed")

    undone = undo(acme, unmatched[2])

    assert (undone.undid, undone.invoice_no, undone.reopened) == ("match", "F-2", Decimal("800.00"))
    assert open_amounts(engine)["F-2"] == (Decimal("800.00"), "open")
    view = undone.payment
    assert (view.status, view.invoice_no, view.voucher) == (IncomingStatus.UNMATCHED, None, None)
    assert (view.reason, view.detail) == (before.reason, before.detail)
    original, reversal = vouchers(acme)
    assert [(x.account, x.debit, x.credit, x.party) for x in reversal.lines] == [
        (x.account, x.credit, x.debit, x.party) for x in original.lines
    ]
    assert balances(acme) == {"1920": Decimal("0.00"), "1500": Decimal("0.00")}
    with engine.connect() as connection:
        row = connection.execute(
            select(
                IncomingPaymentRow.customer_item_id,
                IncomingPaymentRow.cleared,
                IncomingPaymentRow.excess,
            ).where(IncomingPaymentRow.id == unmatched[2])
        ).one()
    assert (row[0], row[1], row[2]) == (None, Decimal(0), Decimal(0))


def test_undoing_an_overpaid_hand_match_takes_back_the_credit_and_opens_what_it_cleared(
    acme: UnitOfWork, unmatched: list[int], engine: Engine
) -> None:
    """F-2 is partly paid by KID first (NOK 300 of 800); the hand match of NOK 800 then clears
    the 500 left and holds 300 as credit. Undone, F-2 is open for 500 again, not 800."""
    ingest(acme, ocr(Tx(30000, kid=KID_PARTIAL), number="0000002"), name="partial.ocr")
    matched = match(acme, unmatched[2], "F-2")
    assert matched.status is IncomingStatus.OVERPAID

    undone = undo(acme, unmatched[2])

    assert undone.reopened == Decimal("500.00")
    assert open_amounts(engine)["F-2"] == (Decimal("500.00"), "open")
    # What stays on the customers' account is the partial payment by KID alone.
    assert balances(acme)["1500"] == Decimal("-300.00")


def test_a_hand_match_undone_can_be_matched_to_the_right_invoice(
    acme: UnitOfWork, unmatched: list[int], engine: Engine
) -> None:
    match(acme, unmatched[0], "F-3")  # NOK 250 of 300: the wrong customer's invoice
    undo(acme, unmatched[0])

    right = match(acme, unmatched[0], "F-2")

    assert (right.status, right.invoice_no) == (IncomingStatus.PARTIAL, "F-2")
    assert open_amounts(engine)["F-3"] == (Decimal("300.00"), "open")
    assert open_amounts(engine)["F-2"] == (Decimal("550.00"), "open")
    assert "matched by hand" in (right.detail or "")
    assert "matched by hand (was: matched by hand" not in (right.detail or "")


# --- refusals ---------------------------------------------------------------------------------


def test_undoing_twice_is_refused_saying_it_is_unmatched_again(
    acme: UnitOfWork, unmatched: list[int], engine: Engine
) -> None:
    post(acme, unmatched[0])
    undo(acme, unmatched[0])

    with pytest.raises(InvalidTransition) as caught:
        undo(acme, unmatched[0])

    said = str(caught.value)
    assert f"Incoming payment {unmatched[0]} is unmatched" in said
    assert "nothing to undo" in said
    assert count(engine, VoucherRow) == 2


def test_a_match_by_kid_is_not_undone_here(acme: UnitOfWork, engine: Engine) -> None:
    ingest(acme, ocr(Tx(125000, kid=KID_EXACT)))
    [view] = listed(acme)

    with pytest.raises(InvalidTransition) as caught:
        undo(acme, view.id)

    said = str(caught.value)
    assert f"Incoming payment {view.id} was matched by its KID" in said
    assert "only a posting or a match made by hand" in said
    assert count(engine, VoucherRow) == 1
    assert open_amounts(engine)["F-1"] == (Decimal("0.00"), "closed")


def test_a_deleted_payment_and_an_unknown_one_are_refused_by_name(
    acme: UnitOfWork, unmatched: list[int]
) -> None:
    incoming.delete(acme, payment_id=unmatched[1], reason="Paid twice", actor=SIGNER, now=NOW)

    with pytest.raises(InvalidTransition, match=r"is deleted \(Paid twice\)"):
        undo(acme, unmatched[1])
    with pytest.raises(NotFound, match="No incoming payment 999"):
        undo(acme, 999)


def test_a_viewer_may_not_undo_and_an_approver_may(
    acme: UnitOfWork, unmatched: list[int], engine: Engine
) -> None:
    post(acme, unmatched[0])

    with pytest.raises(NotPermitted, match="may not handle incoming payments in Acme AS"):
        undo(acme, unmatched[0], actor=VIEWER)
    assert count(engine, VoucherRow) == 1

    assert undo(acme, unmatched[0], actor=APPROVER).payment.status is IncomingStatus.UNMATCHED


def test_a_payment_changed_since_it_was_shown_is_not_undone(
    acme: UnitOfWork, unmatched: list[int], engine: Engine
) -> None:
    shown = post(acme, unmatched[0])
    undo(acme, unmatched[0])
    post(acme, unmatched[0], "3400")  # posted again: a stale Undo must not take this one back

    with pytest.raises(ConcurrentChange, match=f"Incoming payment {unmatched[0]} was changed"):
        undo(acme, unmatched[0], version=shown.version)

    assert count(engine, VoucherRow) == 3
    assert view_of(acme, unmatched[0]).status is IncomingStatus.POSTED


# --- any sequence of hand steps ---------------------------------------------------------------

STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("post"), st.sampled_from(["3900", "3400", "1920"])),
        st.tuples(st.just("match"), st.sampled_from(["A", "B", "F-1", "NONE"])),
        st.tuples(st.just("undo"), st.none()),
        st.tuples(st.just("stale undo"), st.none()),
    ),
    max_size=8,
)
_files = numbers(100)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    amounts=st.lists(st.integers(1, 2_000_00), min_size=1, max_size=2),
    invoiced=st.tuples(st.integers(1, 2_000_00), st.integers(1, 2_000_00)),
    steps=STEPS,
)
def test_any_sequence_of_hand_steps_and_undos_keeps_the_ledger_and_the_invoices_right(
    acme: UnitOfWork,
    engine: Engine,
    amounts: list[int],
    invoiced: tuple[int, int],
    steps: list[tuple[str, str | None]],
) -> None:
    """Each example adds its own payments (in øre) and two invoices of its own to the company;
    any post, match or undo on them that is refused changes nothing, and after each step every
    voucher posted balances, and every invoice is open for its amount less what the payments
    matched to it now clear."""
    n = next(_files)
    invoices = {"A": f"A-{n}", "B": f"B-{n}", "F-1": "F-1", "NONE": "NONE"}
    text = "invoice_no;customer_name;amount;currency\n" + "".join(
        f"{invoices[name]};Kunde {name};{Decimal(units) / 100};NOK\n"
        for name, units in zip("AB", invoiced, strict=True)
    )
    customer_ledger.import_customer_items(
        acme,
        company_org_no=ORG_NO,
        source=f"c{n}.csv",
        rows=read_customer_item_rows(f"c{n}.csv", text.encode()),
        now=NOW,
    )
    txs = [
        Tx(units, kid=kid(f"9{n:05d}{i}"), reference=f"{i + 1:09d}")
        for i, units in enumerate(amounts)
    ]
    ingest(acme, ocr(*txs, number=f"{n:07d}"), name=f"p{n}.ocr")
    ids = [
        v.id for v in listed(acme, IncomingStatus.UNMATCHED) if v.kid and v.kid[1:6] == f"{n:05d}"
    ]
    assert len(ids) == len(amounts)
    versions: dict[int, int] = {}
    for index, (step, arg) in enumerate(steps):
        payment = ids[index % len(ids)]
        try:
            if step == "post":
                versions[payment] = post(acme, payment, str(arg)).version
            elif step == "match":
                versions[payment] = match(acme, payment, invoices[str(arg)]).version
            elif step == "undo":
                versions[payment] = undo(acme, payment).payment.version
            else:
                undo(acme, payment, version=versions.get(payment, 1) - 1)
            event(f"{step}: done")
        except PaybotError as error:
            event(f"{step}: refused ({type(error).__name__})")
        assert_ledger_and_invoices_right(acme, engine)


def assert_ledger_and_invoices_right(uow: UnitOfWork, engine: Engine) -> None:
    posted = vouchers(uow)
    assert all(v.debits == v.credits for v in posted)
    assert sum(v.debits for v in posted) == sum(v.credits for v in posted)
    with engine.connect() as connection:
        items = connection.execute(
            select(CustomerItemRow.id, CustomerItemRow.amount, CustomerItemRow.open_amount)
        ).all()
        matched = connection.execute(
            select(IncomingPaymentRow.customer_item_id, IncomingPaymentRow.cleared).where(
                IncomingPaymentRow.customer_item_id.is_not(None)
            )
        ).all()
    cleared: dict[int, Decimal] = defaultdict(Decimal)
    for item_id, amount in matched:
        cleared[item_id] += amount
    for item_id, amount, open_amount in items:
        assert open_amount == amount - cleared[item_id], item_id


def test_the_reversing_voucher_is_dated_the_day_given_even_in_another_year(
    acme: UnitOfWork, unmatched: list[int]
) -> None:
    post(acme, unmatched[0])

    undone = undo(
        acme, unmatched[0], today=date(2027, 1, 4), now=datetime(2027, 1, 4, 9, tzinfo=UTC)
    )

    assert undone.reversal == VoucherRef(2027, 1)
    assert balances(acme)["3900"] == Decimal("0.00")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("round_no", range(3))
def test_two_people_undoing_one_hand_match_at_once_reverse_it_once(
    acme: UnitOfWork, unmatched: list[int], engine: Engine, round_no: int
) -> None:
    shown = match(acme, unmatched[2], "F-2")
    barrier = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def take(index: int, who: ActorRef) -> None:
        uow = UnitOfWork(engine)
        barrier.wait()
        try:
            outcomes[index] = undo(uow, unmatched[2], actor=who, version=shown.version)
        except PaybotError as error:
            outcomes[index] = error

    threads = [threading.Thread(target=take, args=(i, w)) for i, w in enumerate((SIGNER, APPROVER))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(type(o).__name__ for o in outcomes) == ["InvalidTransition", "Undone"], outcomes
    assert count(engine, VoucherRow) == 2
    assert open_amounts(engine)["F-2"] == (Decimal("800.00"), "open")
