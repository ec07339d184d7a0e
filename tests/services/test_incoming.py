"""Incoming payments on SQLite and PostgreSQL: files (the OCR Giro and camt.054 samples, and OCR
files built record by record) taken whole or not at all, once, for accounts with an incoming
agreement; payments matched by KID and posted (exact, within the rounding tolerance, partial,
overpaid), unmatched ones posted by hand, matched by hand or deleted; reversals undone; the
returns poll handing incoming files over."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from paybot.bank.directory import DirectoryGateway
from paybot.core.bankfiles.model import BankFileRejected
from paybot.core.errors import (
    ConcurrentChange,
    ImportRejected,
    InvalidTransition,
    NotFound,
    NotPermitted,
    PaybotError,
    ValidationFailed,
)
from paybot.core.ledger_file import CUSTOMER_COLUMN_LIMITS, read_customer_item_rows
from paybot.core.vouchers import Voucher, check_balanced
from paybot.services import companies, customer_ledger, incoming, returns
from paybot.services.incoming import IncomingStatus, IncomingView, IngestResult
from paybot.store.models import CustomerItem as CustomerItemRow
from paybot.store.models import IncomingFile, IncomingPaymentRow
from paybot.store.models import Voucher as VoucherRow
from paybot.store.uow import UnitOfWork
from tests.builders import APPROVER, COMPANY_ACCOUNT, NOW, ORG_NO, SIGNER, VIEWER, a_company
from tests.core.test_ocr_giro import Assignment, Tx, encode, transmission_lines
from tests.shared_fixtures import shared_fixture

OCR_SAMPLE = "samples/ocr/netsgiro_ocr_giro_transactions.txt"
CAMT_SAMPLE = "samples/camt054/fffs_finland_camt054_001_02_credit_debit_SCOR.xml"
PAID_ON = date(2026, 11, 23)  # the built files' settlement date


def kid(body: str) -> str:
    """`body` with its MOD10 (Luhn) check digit: a valid KID."""
    total = 0
    for index, digit in enumerate(reversed(body)):
        value = int(digit) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return f"{body}{(10 - total % 10) % 10}"


KID_EXACT, KID_PARTIAL, KID_OVER, KID_ROUND, KID_UNKNOWN = (kid(f"10{n:04d}") for n in range(5))
ITEMS = (
    "invoice_no;customer_name;customer_org_no;amount;currency;invoice_date;due_date;kid\n"
    f"F-1;Kunde AS;923609016;1 250,00;NOK;2026-11-01;2026-12-01;{KID_EXACT}\n"
    f"F-2;Kunde AS;923609016;800.00;NOK;2026-11-02;2026-12-02;{KID_PARTIAL}\n"
    f"F-3;Annen Kunde;;300.00;NOK;;;{KID_OVER}\n"
    f"F-4;Annen Kunde;;99.70;NOK;;;{KID_ROUND}\n"
)


def ocr(*txs: Tx, number: str = "0000001", account: str = COMPANY_ACCOUNT) -> bytes:
    """An OCR Giro file of one assignment (its number makes its payments' keys)."""
    return encode(transmission_lines(Assignment(tuple(txs), number=number, account=account)))


def ingest(uow: UnitOfWork, data: bytes, name: str = "in.ocr", **kw: object) -> IngestResult:
    return incoming.ingest(uow, source=name, data=data, now=NOW, **kw)  # type: ignore[arg-type]


def listed(uow: UnitOfWork, *statuses: IncomingStatus) -> list[IncomingView]:
    return incoming.list_incoming(uow, ORG_NO, statuses or None)


def by_kid(uow: UnitOfWork) -> dict[str | None, IncomingView]:
    return {view.kid: view for view in listed(uow)}


def vouchers(uow: UnitOfWork) -> list[Voucher]:
    with uow:
        company = uow.companies.get(ORG_NO)
        assert company is not None
        return uow.postings.read(company.id, ORG_NO)


def open_amounts(engine: Engine) -> dict[str, tuple[Decimal, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(CustomerItemRow.invoice_no, CustomerItemRow.open_amount, CustomerItemRow.status)
        )
        return {no: (amount.quantize(Decimal("0.01")), status) for no, amount, status in rows}


def count(engine: Engine, table: type) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(table)) or 0)


@pytest.fixture
def acme(uow: UnitOfWork) -> UnitOfWork:
    """Acme AS (a signer, an approver, a viewer) and four open customer invoices."""
    a_company(uow)
    rows = read_customer_item_rows("customers.csv", ITEMS.encode())
    customer_ledger.import_customer_items(
        uow, company_org_no=ORG_NO, source="customers.csv", rows=rows, now=NOW
    )
    return uow


# --- customer items ---------------------------------------------------------------------------


def test_customer_items_import_once_and_a_changed_one_is_refused_whole(
    acme: UnitOfWork, engine: Engine
) -> None:
    again = read_customer_item_rows("c.csv", ITEMS.encode())
    result = customer_ledger.import_customer_items(
        acme, company_org_no=ORG_NO, source="c.csv", rows=again, now=NOW
    )
    assert (result.new, result.unchanged) == (0, 4)
    changed = ITEMS.replace("F-3;Annen Kunde;;300.00", "F-3;Annen Kunde;;310.00") + (
        f"F-5;Ny Kunde;;10.00;NOK;;;{kid('55555')}\n"
    )
    with pytest.raises(ImportRejected) as caught:
        customer_ledger.import_customer_items(
            acme,
            company_org_no=ORG_NO,
            source="c.csv",
            rows=read_customer_item_rows("c.csv", changed.encode()),
            now=NOW,
        )
    assert str(caught.value).startswith("c.csv:4: amount: invoice F-3 was imported before")
    assert sorted(open_amounts(engine)) == ["F-1", "F-2", "F-3", "F-4"]  # F-5 not added


def test_a_customer_item_with_a_wrong_kid_is_refused_at_its_line() -> None:
    data = ITEMS.replace(KID_OVER, "12345678901").encode()
    with pytest.raises(ImportRejected) as caught:
        read_customer_item_rows("c.csv", data)
    assert str(caught.value).startswith("c.csv:4: kid: KID '12345678901' has a wrong check digit")


def test_the_customer_column_limits_are_the_stored_columns() -> None:
    table = CustomerItemRow.__table__.c
    assert CUSTOMER_COLUMN_LIMITS == {
        name: table[name].type.length for name in ("customer_name", "customer_org_no", "kid")
    }


# --- matching and posting ---------------------------------------------------------------------


def test_an_exact_payment_is_matched_posted_balancing_and_its_invoice_closes(
    acme: UnitOfWork, engine: Engine
) -> None:
    result = ingest(acme, ocr(Tx(125000, kid=KID_EXACT)))

    assert (result.payments, result.counts, result.vouchers) == (1, {"matched": 1}, 1)
    [view] = listed(acme)
    assert (view.status, view.invoice_no, view.amount) == ("matched", "F-1", Decimal("1250.00"))
    [voucher] = vouchers(acme)
    check_balanced(voucher.lines)
    assert voucher.day == PAID_ON
    assert [(line.account, line.debit, line.credit) for line in voucher.lines] == [
        ("1920", Decimal("1250.00"), Decimal("0.00")),
        ("1500", Decimal("0.00"), Decimal("1250.00")),
    ]
    assert voucher.lines[1].party is not None and voucher.lines[1].party.name == "Kunde AS"
    assert open_amounts(engine)["F-1"] == (Decimal("0.00"), "closed")


def test_partial_overpaid_and_unknown_kids_each_do_what_they_should(
    acme: UnitOfWork, engine: Engine
) -> None:
    result = ingest(
        acme,
        ocr(Tx(30000, kid=KID_PARTIAL), Tx(45000, kid=KID_OVER), Tx(1000, kid=KID_UNKNOWN)),
    )

    assert result.counts == {"partial": 1, "overpaid": 1, "unmatched": 1}
    found = by_kid(acme)
    assert found[KID_UNKNOWN].reason == "unknown_kid"
    assert found[KID_UNKNOWN].voucher is None
    assert open_amounts(engine)["F-2"] == (Decimal("500.00"), "open")
    assert open_amounts(engine)["F-3"] == (Decimal("0.00"), "closed")
    over = next(v for v in vouchers(acme) if "F-3" in v.text)
    check_balanced(over.lines)
    assert [(line.account, line.credit) for line in over.lines[1:]] == [
        ("1500", Decimal("300.00")),
        ("1500", Decimal("150.00")),  # held as the customer's credit
    ]
    assert len(vouchers(acme)) == 2


def test_within_the_rounding_tolerance_the_invoice_closes_and_the_rest_goes_to_rounding(
    acme: UnitOfWork, engine: Engine
) -> None:
    companies.update_settings(acme, org_no=ORG_NO, rounding_tolerance=Decimal("0.50"), now=NOW)

    result = ingest(acme, ocr(Tx(10000, kid=KID_ROUND)))

    assert result.counts == {"settled": 1}
    [voucher] = vouchers(acme)
    check_balanced(voucher.lines)
    assert (voucher.lines[-1].account, voucher.lines[-1].credit) == ("7798", Decimal("0.30"))
    assert open_amounts(engine)["F-4"] == (Decimal("0.00"), "closed")


def test_at_the_default_tolerance_a_few_ore_short_is_partial(
    acme: UnitOfWork, engine: Engine
) -> None:
    assert ingest(acme, ocr(Tx(9960, kid=KID_ROUND))).counts == {"partial": 1}
    assert open_amounts(engine)["F-4"] == (Decimal("0.10"), "open")


def test_two_payments_of_one_invoice_in_one_file_see_each_other(
    acme: UnitOfWork, engine: Engine
) -> None:
    result = ingest(acme, ocr(Tx(50000, kid=KID_PARTIAL), Tx(30000, kid=KID_PARTIAL)))

    assert result.counts == {"partial": 1, "matched": 1}
    assert open_amounts(engine)["F-2"] == (Decimal("0.00"), "closed")


# --- files ------------------------------------------------------------------------------------


def test_a_file_taken_twice_changes_nothing_the_second_time(
    acme: UnitOfWork, engine: Engine
) -> None:
    data = ocr(Tx(125000, kid=KID_EXACT), Tx(1000, kid=KID_UNKNOWN))
    ingest(acme, data)

    again = ingest(acme, data, name="renamed.ocr")

    assert again.taken_already and again.payments == 0
    assert (count(engine, IncomingPaymentRow), count(engine, VoucherRow)) == (2, 1)


def test_a_payment_seen_in_an_earlier_file_is_skipped(acme: UnitOfWork, engine: Engine) -> None:
    ingest(acme, ocr(Tx(125000, kid=KID_EXACT)))
    both = ocr(Tx(125000, kid=KID_EXACT), Tx(1000, kid=KID_UNKNOWN, reference="000000002"))

    result = ingest(acme, both, name="second.ocr")

    assert (result.seen_before, result.counts) == (1, {"unmatched": 1})
    assert count(engine, VoucherRow) == 1


def test_an_account_without_an_incoming_agreement_is_refused_by_name(
    acme: UnitOfWork, engine: Engine
) -> None:
    companies.set_bank_account(
        acme, org_no=ORG_NO, account=COMPANY_ACCOUNT, values={"incoming": False}, now=NOW
    )

    with pytest.raises(NotPermitted) as caught:
        ingest(acme, ocr(Tx(125000, kid=KID_EXACT)))

    assert f"account {COMPANY_ACCOUNT} of Acme AS has no incoming agreement" in str(caught.value)
    assert (count(engine, IncomingFile), count(engine, IncomingPaymentRow)) == (0, 0)


def test_an_account_of_no_company_is_refused_by_name(acme: UnitOfWork) -> None:
    with pytest.raises(NotFound) as caught:
        ingest(acme, ocr(Tx(100, kid=KID_EXACT), account="12345678903"))
    assert "12345678903" in str(caught.value)


def test_a_bad_file_applies_nothing_and_a_corrected_one_is_then_taken(
    acme: UnitOfWork, engine: Engine
) -> None:
    txs = (Tx(125000, kid=KID_EXACT), Tx(30000, kid=KID_PARTIAL))
    lines = transmission_lines(Assignment(txs), total=f"{999:017d}")

    with pytest.raises(BankFileRejected) as caught:
        ingest(acme, encode(lines))

    assert "in.ocr:" in str(caught.value)
    assert (count(engine, IncomingFile), count(engine, VoucherRow)) == (0, 0)
    assert open_amounts(engine)["F-1"] == (Decimal("1250.00"), "open")
    assert ingest(acme, ocr(*txs)).counts == {"matched": 1, "partial": 1}


def test_a_refusal_half_way_through_a_file_rolls_back_what_came_before(
    acme: UnitOfWork, engine: Engine
) -> None:
    """The second assignment's account is not the company's: found only when reached."""
    first = Assignment((Tx(125000, kid=KID_EXACT),), number="0000001")
    second = Assignment((Tx(100, kid=KID_UNKNOWN),), number="0000002", account="12345678903")
    data = encode(transmission_lines(first, second))

    with pytest.raises(NotFound):
        ingest(acme, data)

    assert (count(engine, IncomingPaymentRow), count(engine, VoucherRow)) == (0, 0)


def test_the_ocr_sample_ingests_for_the_company_with_its_account(uow: UnitOfWork) -> None:
    path = shared_fixture(OCR_SAMPLE)
    companies.add_company(uow, org_no=ORG_NO, name="Sample AS", account="99991042764", now=NOW)
    rows = read_customer_item_rows(
        "c.csv",
        b"invoice_no;customer_name;amount;currency;kid\nA-1;Kari;1020,00;NOK;0000531\n"
        b"A-2;Ola;1000,00;NOK;02212291038306\n",
    )
    customer_ledger.import_customer_items(
        uow, company_org_no=ORG_NO, source="c.csv", rows=rows, now=NOW
    )

    result = ingest(uow, path.read_bytes(), name=path.name)  # the company found by its account

    assert (result.company_org_no, result.payments) == (ORG_NO, 20)
    assert result.counts == {"matched": 1, "overpaid": 1, "unmatched": 18}
    assert sum(result.amounts.values()) == Decimal("51449.00")  # record 89's total
    for voucher in vouchers(uow):
        check_balanced(voucher.lines)
        assert voucher.day == date(1992, 1, 20)


def suomi(uow: UnitOfWork) -> None:
    """The camt.054 sample's account holder, its ledger in euros, an invoice with KID 43216."""
    companies.add_company(
        uow, org_no=ORG_NO, name="Suomi Oy", account="FI7433010001222090", now=NOW
    )
    with uow:  # no command sets a company's currency yet
        company = uow.companies.get(ORG_NO)
        assert company is not None
        uow.companies.update(company.id, {"currency": "EUR"})
        uow.commit()
    rows = read_customer_item_rows(
        "c.csv", b"invoice_no;customer_name;amount;currency;kid\nL-1;Payer;200.00;EUR;43216\n"
    )
    customer_ledger.import_customer_items(
        uow, company_org_no=ORG_NO, source="c.csv", rows=rows, now=NOW
    )


def test_the_camt054_sample_ingests_its_credits_for_a_company_in_eur(
    uow: UnitOfWork, engine: Engine
) -> None:
    path = shared_fixture(CAMT_SAMPLE)
    suomi(uow)

    result = ingest(uow, path.read_bytes(), name=path.name, company_org_no=ORG_NO)

    # KID 43216 twice (100 + 100: partial, then the rest); 3900 and an RF reference are no KID.
    assert result.counts == {"partial": 1, "matched": 1, "unmatched": 4}
    assert open_amounts(engine)["L-1"] == (Decimal("0.00"), "closed")
    reasons = sorted(str(v.reason) for v in listed(uow, IncomingStatus.UNMATCHED))
    assert reasons == ["invalid_kid", "invalid_kid", "invalid_kid", "no_kid"]


# --- by hand ----------------------------------------------------------------------------------


@pytest.fixture
def unmatched(acme: UnitOfWork) -> list[int]:
    """Three unmatched payments: NOK 250, 100 and 800 with unknown KIDs."""
    ingest(acme, ocr(Tx(25000, kid=KID_UNKNOWN), Tx(10000, kid="1"), Tx(80000, kid=kid("77"))))
    return [view.id for view in listed(acme)]


def test_a_payment_posted_by_hand_goes_to_its_gl_account_and_leaves_the_list(
    acme: UnitOfWork, unmatched: list[int]
) -> None:
    view = incoming.post_by_hand(
        acme,
        payment_id=unmatched[0],
        account="3900",
        text="Refund from NAV",
        actor=SIGNER,
        now=NOW,
    )

    assert view.status is IncomingStatus.POSTED and view.voucher is not None
    [voucher] = vouchers(acme)
    assert [(line.account, line.debit, line.credit) for line in voucher.lines] == [
        ("1920", Decimal("250.00"), Decimal("0.00")),
        ("3900", Decimal("0.00"), Decimal("250.00")),
    ]
    assert unmatched[0] not in [v.id for v in listed(acme, IncomingStatus.UNMATCHED)]
    with acme:
        [event] = acme.audit.latest(10, "incoming.post")
    assert event["details"]["text"] == "Refund from NAV"
    with pytest.raises(InvalidTransition, match="is posted by hand already"):
        incoming.delete(acme, payment_id=unmatched[0], reason="x", actor=SIGNER, now=NOW)


def test_a_deleted_payment_keeps_its_reason_and_posts_nothing(
    acme: UnitOfWork, unmatched: list[int], engine: Engine
) -> None:
    view = incoming.delete(
        acme, payment_id=unmatched[1], reason="Paid twice; returned", actor=APPROVER, now=NOW
    )

    assert (view.status, view.delete_reason) == (IncomingStatus.DELETED, "Paid twice; returned")
    assert count(engine, VoucherRow) == 0


def test_a_payment_matched_by_hand_is_posted_against_the_invoice(
    acme: UnitOfWork, unmatched: list[int], engine: Engine
) -> None:
    view = incoming.match_by_hand(
        acme, payment_id=unmatched[2], invoice_no="F-2", actor=SIGNER, now=NOW
    )

    assert (view.status, view.invoice_no) == (IncomingStatus.MATCHED, "F-2")
    assert open_amounts(engine)["F-2"] == (Decimal("0.00"), "closed")
    [voucher] = vouchers(acme)
    check_balanced(voucher.lines)


def test_posting_by_hand_to_the_bank_account_itself_is_refused_and_posts_nothing(
    acme: UnitOfWork, unmatched: list[int], engine: Engine
) -> None:
    # Debit and credit on 1920 would leave the money out of the ledger, and the list.
    with pytest.raises(ValidationFailed, match="1920 is the GL account of the bank account"):
        incoming.post_by_hand(
            acme, payment_id=unmatched[0], account="1920", text="NAV", actor=SIGNER, now=NOW
        )
    assert count(engine, VoucherRow) == 0
    assert unmatched[0] in [v.id for v in listed(acme, IncomingStatus.UNMATCHED)]


def test_matching_by_hand_to_an_invoice_paid_in_full_is_refused(
    acme: UnitOfWork, unmatched: list[int], engine: Engine
) -> None:
    incoming.match_by_hand(acme, payment_id=unmatched[2], invoice_no="F-2", actor=SIGNER, now=NOW)
    # A mistyped invoice number would put the whole payment on the wrong customer's credit.
    with pytest.raises(ValidationFailed, match="invoice F-2 .* is paid in full already"):
        incoming.match_by_hand(
            acme, payment_id=unmatched[0], invoice_no="F-2", actor=SIGNER, now=NOW
        )
    assert count(engine, VoucherRow) == 1
    assert unmatched[0] in [v.id for v in listed(acme, IncomingStatus.UNMATCHED)]


def test_a_viewer_may_not_handle_and_an_old_version_is_refused(
    acme: UnitOfWork, unmatched: list[int]
) -> None:
    with pytest.raises(NotPermitted):
        incoming.delete(acme, payment_id=unmatched[0], reason="no", actor=VIEWER, now=NOW)
    [view] = [v for v in listed(acme) if v.id == unmatched[0]]
    incoming.delete(acme, payment_id=view.id, reason="one", actor=SIGNER, now=NOW)
    with pytest.raises(ConcurrentChange):
        incoming.post_by_hand(
            acme,
            payment_id=view.id,
            account="3900",
            text="two",
            actor=APPROVER,
            now=NOW,
            version=view.version,
        )


# --- reversals --------------------------------------------------------------------------------


def test_a_reversal_undoes_a_posted_match_and_opens_the_invoice_again(
    acme: UnitOfWork, engine: Engine
) -> None:
    ingest(acme, ocr(Tx(125000, kid=KID_EXACT)))

    result = ingest(
        acme, ocr(Tx(125000, kid=KID_EXACT, type=18, sign="-"), number="0000002"), name="r.ocr"
    )

    assert (result.counts, result.vouchers) == ({"reversed": 1}, 1)
    assert {v.status for v in listed(acme)} == {IncomingStatus.REVERSED}
    assert open_amounts(engine)["F-1"] == (Decimal("1250.00"), "open")
    posted, reversal = vouchers(acme)
    assert [(x.account, x.debit, x.credit) for x in reversal.lines] == [
        (x.account, x.credit, x.debit) for x in posted.lines
    ]


def test_a_reversal_of_an_unmatched_payment_posts_nothing_and_of_nothing_is_unmatched(
    acme: UnitOfWork, engine: Engine
) -> None:
    ingest(acme, ocr(Tx(1000, kid=KID_UNKNOWN)))
    back = (Tx(1000, kid=KID_UNKNOWN, type=18, sign="-"), Tx(700, kid=KID_UNKNOWN, type=20))

    result = ingest(acme, ocr(*back, number="0000002"), name="r.ocr")

    assert result.counts == {"reversed": 1, "unmatched": 1}
    assert count(engine, VoucherRow) == 0
    [alone] = listed(acme, IncomingStatus.UNMATCHED)
    assert (alone.amount, alone.reason) == (Decimal("-7.00"), "no_original")


# --- the returns poll hands incoming files over ---------------------------------------------


def test_the_poll_takes_an_ocr_file_from_the_inbox_and_archives_it(
    acme: UnitOfWork, tmp_path: Path
) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "kid.ocr").write_bytes(ocr(Tx(125000, kid=KID_EXACT)))
    gateways = lambda account: DirectoryGateway(tmp_path / "out", inbox)  # noqa: E731

    [result] = returns.poll(acme, gateways, now=NOW + timedelta(minutes=5))

    assert result.error is None and result.incoming is not None
    assert result.incoming.counts == {"matched": 1}
    assert not (inbox / "kid.ocr").exists()
    assert returns.poll(acme, gateways, now=NOW + timedelta(minutes=10)) == []


def test_the_poll_leaves_an_ocr_file_for_an_account_without_agreement_in_the_inbox(
    acme: UnitOfWork, tmp_path: Path
) -> None:
    companies.set_bank_account(
        acme, org_no=ORG_NO, account=COMPANY_ACCOUNT, values={"incoming": False}, now=NOW
    )
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "kid.ocr").write_bytes(ocr(Tx(125000, kid=KID_EXACT)))
    gateways = lambda account: DirectoryGateway(tmp_path / "out", inbox)  # noqa: E731

    [result] = returns.poll(acme, gateways, now=NOW)

    assert result.error is not None and "no incoming agreement" in result.error
    assert (inbox / "kid.ocr").exists()


def test_the_poll_gives_a_camt054_to_returns_and_its_credits_to_incoming(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    """The sample holds our payments out (debits: no send of ours, reported) and payments in."""
    path = shared_fixture(CAMT_SAMPLE)
    suomi(uow)
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / path.name).write_bytes(path.read_bytes())
    gateways = lambda account: DirectoryGateway(tmp_path / "out", inbox)  # noqa: E731

    [result] = returns.poll(uow, gateways, now=NOW)

    assert (result.kind, result.error) == ("camt.054", None)
    assert result.incoming is not None and result.incoming.payments == 6
    assert result.incoming.counts == {"partial": 1, "matched": 1, "unmatched": 4}
    assert not (inbox / path.name).exists()


# --- races ------------------------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("round_no", range(3))
def test_two_pollers_taking_one_file_make_one_set_of_vouchers(
    acme: UnitOfWork, engine: Engine, round_no: int
) -> None:
    data = ocr(Tx(125000, kid=KID_EXACT), Tx(30000, kid=KID_PARTIAL), Tx(100, kid=KID_UNKNOWN))
    barrier = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def take(index: int) -> None:
        uow = UnitOfWork(engine)
        barrier.wait()
        try:
            outcomes[index] = ingest(uow, data)
        except PaybotError as error:
            outcomes[index] = error

    threads = [threading.Thread(target=take, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    results = [o for o in outcomes if isinstance(o, IngestResult)]
    assert sorted(r.taken_already for r in results) == [False, True], outcomes
    assert (count(engine, VoucherRow), count(engine, IncomingPaymentRow)) == (2, 3)
    assert open_amounts(engine)["F-2"] == (Decimal("500.00"), "open")
    assert [v.number for v in vouchers(acme)] == [1, 2]
