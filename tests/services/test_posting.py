"""Posting paid payments, on SQLite and PostgreSQL: vouchers per payment and per batch, Paid →
Posted all or none, the open item closed, audited, numbered without gaps (a rolled-back posting
gives its number back), posted once; and every voucher balances for random payments."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from paybot.core.company import PostingMode
from paybot.core.errors import (
    InvalidTransition,
    MissingRate,
    NotFound,
    NotPermitted,
    ValidationFailed,
)
from paybot.core.ledger_file import OpenItemRow
from paybot.core.posting import AlreadyPosted
from paybot.core.states import PaymentStatus
from paybot.core.vouchers import AccountRole, Voucher, check_balanced
from paybot.services import companies, payments, posting, rates
from paybot.store.models import OpenItem, Payment, VoucherSeries
from paybot.store.models import Voucher as VoucherRow
from paybot.store.uow import UnitOfWork
from tests.builders import (
    APPROVER,
    NOW,
    ORG_NO,
    OSLO,
    SIGNER,
    VIEWER,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
)
from tests.services.paid_payments import company_id, pay

PAID_AT = NOW + timedelta(days=2)  # Wednesday 25 November 2026, 10:00 in Oslo


@pytest.fixture
def acme(uow: UnitOfWork) -> UnitOfWork:
    a_company(uow)
    return uow


def paid(
    uow: UnitOfWork,
    engine: Engine,
    *items: OpenItemRow,
    at: datetime = PAID_AT,
    **sent: Any,
) -> list[int]:
    """Proposals for the items, then paid in one batch at `at`; their payment ids."""
    found = ledger_with(uow, list(items), [a_supplier()])
    ids = [found[item.voucher_no].id for item in items]
    pay(engine, ids, paid_at=at, **sent)
    return ids


def post(uow: UnitOfWork, **kwargs: Any) -> list[Voucher]:
    return posting.post(
        uow, actor=SIGNER, company_org_no=ORG_NO, now=PAID_AT + timedelta(hours=1), zone=OSLO,
        **kwargs,
    )  # fmt: skip


def status(uow: UnitOfWork, payment_id: int) -> PaymentStatus:
    return payments.show(uow, payment_id=payment_id).payment.status


def stored(uow: UnitOfWork) -> list[Voucher]:
    """The company's vouchers as the store has them."""
    with uow:
        company = uow.companies.get(ORG_NO)
        assert company is not None
        return uow.postings.read(company.id, ORG_NO)


def test_a_paid_payment_becomes_a_voucher_and_its_open_item_closes(
    acme: UnitOfWork, engine: Engine
) -> None:
    [payment_id] = paid(acme, engine, an_item(invoice_no="F-100"))

    [voucher] = post(acme, payment_ids=[payment_id])

    assert (voucher.number, voucher.day, voucher.payment_ids) == (1, date(2026, 11, 25), (1,))
    assert voucher.text == "Payment #1 to Leverandør AS, invoice F-100"
    assert [(x.account, x.debit, x.credit) for x in voucher.lines] == [
        ("2400", Decimal("1250.00"), 0),
        ("1920", 0, Decimal("1250.00")),
    ]
    assert voucher.lines[0].party is not None and voucher.lines[0].party.org_no == "923609016"
    assert stored(acme) == [voucher]
    assert status(acme, payment_id) is PaymentStatus.POSTED
    with engine.connect() as connection:
        assert connection.execute(select(OpenItem.is_open)).scalar_one() is False
    event = payments.show(acme, payment_id=payment_id).history[-1]
    assert event["action"] == "payment.post"
    assert (event["before"]["status"], event["after"]["status"]) == ("paid", "posted")
    assert event["details"]["voucher"] == 1 and event["details"]["year"] == 2026


def test_posting_again_says_as_which_voucher_it_was_posted(
    acme: UnitOfWork, engine: Engine
) -> None:
    first, second = paid(acme, engine, an_item(), an_item())
    post(acme, payment_ids=[first])

    with pytest.raises(AlreadyPosted) as refused:
        post(acme, payment_ids=[second, first])

    assert refused.value.user_message == "Payment 1 is posted already, as voucher 1 of 2026."
    assert status(acme, second) is PaymentStatus.PAID  # all or none
    assert payments.show(acme, payment_id=first).history[-1]["action"] == "payment.refused"
    [voucher] = post(acme, payment_ids=[second])
    assert voucher.number == 2


def test_a_payment_not_paid_is_refused_and_nothing_is_posted(
    acme: UnitOfWork, engine: Engine
) -> None:
    [paid_one] = paid(acme, engine, an_item())
    proposal = ledger_with(acme, [item := an_item()])[item.voucher_no].id

    with pytest.raises(InvalidTransition, match=f"Payment {proposal} is proposed"):
        post(acme, payment_ids=[paid_one, proposal])

    assert status(acme, paid_one) is PaymentStatus.PAID
    assert stored(acme) == []
    with pytest.raises(NotFound, match="has no payment 999"):
        post(acme, payment_ids=[paid_one, 999])


def test_a_viewer_may_not_post_an_approver_may(acme: UnitOfWork, engine: Engine) -> None:
    [payment_id] = paid(acme, engine, an_item())

    with pytest.raises(NotPermitted, match="needs the approver, signer or admin role"):
        posting.post(
            acme, actor=VIEWER, company_org_no=ORG_NO, payment_ids=[payment_id], now=NOW,
            zone=OSLO,
        )  # fmt: skip
    [voucher] = posting.post(
        acme, actor=APPROVER, company_org_no=ORG_NO, payment_ids=[payment_id], now=NOW, zone=OSLO
    )
    assert voucher.number == 1


def test_per_batch_one_voucher_holds_the_payments_sent_together(
    acme: UnitOfWork, engine: Engine
) -> None:
    companies.update_settings(acme, org_no=ORG_NO, posting_mode=PostingMode.PER_BATCH, now=NOW)
    batch_one = paid(acme, engine, an_item(), an_item(amount=Decimal("99.50")))
    batch_two = paid(acme, engine, an_item(invoice_no="F-2"), at=PAID_AT + timedelta(days=1))

    vouchers = post(acme)  # every paid payment

    assert [(v.number, v.payment_ids, v.text) for v in vouchers] == [
        (1, tuple(batch_one), "Batch 1: 2 payments"),
        (2, tuple(batch_two), f"Payment #{batch_two[0]} to Leverandør AS, invoice F-2"),
    ]
    assert [x.credit for x in vouchers[0].lines if x.account == "1920"] == [
        Decimal("1250.00"),
        Decimal("99.50"),
    ]
    assert post(acme) == []  # nothing paid is left
    with pytest.raises(AlreadyPosted, match="Batch 1 is posted already: voucher 1 of 2026"):
        post(acme, batch=1)


def test_a_batch_posts_its_paid_payments_and_says_when_there_are_none(
    acme: UnitOfWork, engine: Engine
) -> None:
    ids = paid(acme, engine, an_item(), an_item())
    paid(acme, engine, an_item())

    vouchers = post(acme, batch=1)

    assert [v.payment_ids for v in vouchers] == [(ids[0],), (ids[1],)]
    with pytest.raises(NotFound, match="has no batch 7"):
        post(acme, batch=7)


def test_foreign_currency_is_posted_at_the_banks_amount_or_the_rate_table(
    acme: UnitOfWork, engine: Engine
) -> None:
    rates.set_rate(
        acme, currency="EUR", rate=Decimal("11.5"), valid_from=date(2026, 10, 1), now=NOW
    )
    rates.set_rate(
        acme, currency="EUR", rate=Decimal("11.7"), valid_from=date(2026, 11, 20), now=NOW
    )
    by_table, by_bank = paid(
        acme,
        engine,
        an_item(amount=Decimal("100.00"), currency="EUR"),
        an_item(amount=Decimal("200.00"), currency="EUR"),
        booked={2: (Decimal("2290.10"), "NOK")},
    )

    table, bank = post(acme, payment_ids=[by_table, by_bank])

    assert [(x.account, x.debit, x.credit, x.currency) for x in table.lines] == [
        ("2400", Decimal("1150.00"), 0, "EUR"),
        ("1920", 0, Decimal("1170.00"), "EUR"),
        ("8160", Decimal("20.00"), 0, "NOK"),
    ]
    assert [(x.account, x.debit, x.credit) for x in bank.lines] == [
        ("2400", Decimal("2300.00"), 0),
        ("1920", 0, Decimal("2290.10")),
        ("8060", 0, Decimal("9.90")),
    ]
    assert stored(acme) == [table, bank]


def test_a_missing_rate_posts_nothing(acme: UnitOfWork, engine: Engine) -> None:
    [payment_id] = paid(acme, engine, an_item(amount=Decimal("10.00"), currency="USD"))

    with pytest.raises(MissingRate, match="no USD rate to NOK on 2026-11-25"):
        post(acme, payment_ids=[payment_id])

    assert status(acme, payment_id) is PaymentStatus.PAID


def test_the_companys_accounts_are_used_and_bank_accounts_follow_the_bank_role(
    acme: UnitOfWork, engine: Engine
) -> None:
    changed = posting.set_accounts(
        acme, company_org_no=ORG_NO, changes={"suppliers": "2410", "bank": "1921"}, now=NOW
    )
    assert changed.roles[AccountRole.SUPPLIERS] == "2410"
    assert changed.bank_accounts == (("86011117947", "1921"),)
    [first] = paid(acme, engine, an_item())
    [voucher] = post(acme, payment_ids=[first])
    assert [x.account for x in voucher.lines] == ["2410", "1921"]

    posting.set_accounts(
        acme, company_org_no=ORG_NO, changes={"bank:8601.11.17947": "1925"}, now=NOW
    )
    posting.set_accounts(acme, company_org_no=ORG_NO, changes={"bank": "1929"}, now=NOW)
    shown = posting.accounts(acme, company_org_no=ORG_NO)
    assert shown.roles[AccountRole.BANK] == "1929"
    assert shown.bank_accounts == (("86011117947", "1925"),)  # its own, kept
    with pytest.raises(ValidationFailed, match="'1920x' is not a GL account number"):
        posting.set_accounts(acme, company_org_no=ORG_NO, changes={"bank": "1920x"}, now=NOW)
    with pytest.raises(ValidationFailed, match="has no bank account 12345678903"):
        posting.set_accounts(
            acme, company_org_no=ORG_NO, changes={"bank:12345678903": "1921"}, now=NOW
        )


class CommitFails(UnitOfWork):
    """A unit of work whose commit fails (the database went away at the last moment)."""

    def commit(self) -> None:
        raise RuntimeError("the connection was lost")


def test_a_rolled_back_posting_gives_its_number_back(acme: UnitOfWork, engine: Engine) -> None:
    first, second, third = paid(acme, engine, an_item(), an_item(), an_item())
    post(acme, payment_ids=[first])

    with pytest.raises(RuntimeError):
        post(CommitFails(engine), payment_ids=[second])

    assert status(acme, second) is PaymentStatus.PAID
    [again] = post(acme, payment_ids=[second])
    [last] = post(acme, payment_ids=[third])
    assert [v.number for v in stored(acme)] == [1, 2, 3] == [1, again.number, last.number]


def test_each_year_has_its_own_series(acme: UnitOfWork, engine: Engine) -> None:
    december = paid(acme, engine, an_item(), at=datetime(2026, 12, 31, 22, 30, tzinfo=OSLO))
    january = paid(acme, engine, an_item(), an_item(), at=datetime(2027, 1, 1, 0, 30, tzinfo=OSLO))

    vouchers = post(acme, payment_ids=december + january)

    assert [(v.day.year, v.number) for v in vouchers] == [(2026, 1), (2027, 1), (2027, 2)]
    with engine.connect() as connection:
        series = connection.execute(select(VoucherSeries.year, VoucherSeries.next_number)).all()
    assert sorted(series) == [(2026, 2), (2027, 3)]


# --- every voucher balances, whatever is paid -----------------------------------------------

CURRENCIES = ("NOK", "EUR", "SEK", "JPY")
_DAYS = st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31))


@pytest.fixture
def shared(engine: Engine) -> Iterator[UnitOfWork]:
    """One company for every example of a property test (examples add to it)."""
    uow = UnitOfWork(engine)
    a_company(uow)
    yield uow


@st.composite
def a_posting(draw: st.DrawFn) -> dict[str, Any]:
    """Payments (amount, currency, invoice day, paid day, booked by the bank), the rates of
    their days, their batches and the posting mode."""
    count = draw(st.integers(1, 6))
    rows = []
    for _ in range(count):
        currency = draw(st.sampled_from(CURRENCIES))
        places = 0 if currency == "JPY" else 2
        amount = draw(st.decimals(min_value=1, max_value=Decimal("999999"), places=places))
        invoiced, paid_on = sorted(draw(st.lists(_DAYS, min_size=2, max_size=2)))
        bank = None
        if currency != "NOK" and draw(st.booleans()):
            bank = draw(st.decimals(min_value=1, max_value=Decimal("9999999"), places=2))
        rows.append((amount, currency, invoiced, paid_on, bank))
    days = {(c, d) for _, c, i, p, _ in rows if c != "NOK" for d in (i, p)}
    rate = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("200"), places=6)
    return {
        "rows": rows,
        "rates": {key: draw(rate) for key in sorted(days)},
        "batches": draw(st.lists(st.integers(0, 2), min_size=count, max_size=count)),
        "mode": draw(st.sampled_from(PostingMode)),
    }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(example=a_posting())
def test_every_voucher_posted_balances_on_random_payments(
    shared: UnitOfWork, engine: Engine, example: dict[str, Any]
) -> None:
    uow = shared
    companies.update_settings(uow, org_no=ORG_NO, posting_mode=example["mode"], now=NOW)
    for (currency, day), rate in example["rates"].items():
        rates.set_rate(uow, currency=currency, rate=rate, valid_from=day, now=NOW)
    items = [
        an_item(amount=amount, currency=currency, invoice_date=invoiced)
        for amount, currency, invoiced, _, _ in example["rows"]
    ]
    found = ledger_with(uow, items, [a_supplier()])
    ids = [found[item.voucher_no].id for item in items]
    for batch in sorted(set(example["batches"])):
        # Sent together, paid on the day the last of them was (a rate is set on or before it).
        chosen = [i for i, b in enumerate(example["batches"]) if b == batch]
        day = max(example["rows"][i][3] for i in chosen)
        booked = {
            ids[i]: (example["rows"][i][4], "NOK")
            for i in chosen
            if example["rows"][i][4] is not None
        }
        at = datetime(day.year, day.month, day.day, 12, tzinfo=OSLO)
        pay(engine, [ids[i] for i in chosen], paid_at=at, booked=booked)
    before = _voucher_count(engine)

    vouchers = post(uow, payment_ids=ids)

    assert sorted(pid for v in vouchers for pid in v.payment_ids) == sorted(ids)
    per_batch = example["mode"] is PostingMode.PER_BATCH
    assert len(vouchers) == (len(set(example["batches"])) if per_batch else len(ids))
    with uow:
        again = uow.postings.read(company_id(engine, ORG_NO), ORG_NO)[before:]
    assert again == vouchers
    for voucher in again:
        check_balanced(voucher.lines)
        assert voucher.balances
    for index, item in enumerate(items):
        amount, currency, *_ = example["rows"][index]
        [supplier_line] = [
            x for v in again for x in v.lines
            if x.party is not None and f"INV-{item.voucher_no}" in x.text
        ]  # fmt: skip
        assert (supplier_line.amount_currency, supplier_line.currency) == (amount, currency)
    numbers = [v.number for v in stored(uow) if v.day.year == 2026]
    assert numbers == list(range(1, len(numbers) + 1))  # no gaps, no duplicates


def _voucher_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(VoucherRow)).scalar_one())


def test_a_posted_payment_counts_as_posted_in_the_payments_table(
    acme: UnitOfWork, engine: Engine
) -> None:
    ids = paid(acme, engine, an_item(), an_item())
    post(acme, payment_ids=ids)
    with engine.connect() as connection:
        versions = connection.execute(select(Payment.status, Payment.version)).all()
    assert versions == [("posted", 3), ("posted", 3)]
