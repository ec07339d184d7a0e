"""Posted vouchers read back as a stream, a chunk at a time (through a server-side cursor on
PostgreSQL): the same vouchers, in the same order, as read all at once, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from paybot.core.posting import VoucherRef
from paybot.core.vouchers import Party, Voucher, VoucherLine
from paybot.store.incoming import NewVoucher
from paybot.store.uow import UnitOfWork
from tests.builders import NOW, ORG_NO, a_company

COUNT = 2_345  # more than two of the chunks the store reads at a time
YEAR = 2026


def lines(n: int) -> tuple[VoucherLine, ...]:
    """Two balancing lines; every third voucher paid in JPY (no decimals), some with a party."""
    amount = Decimal(n) + Decimal("0.25") * (n % 4)
    party = Party("customer" if n % 2 else "supplier", f"Part {n % 7}", key=f"P{n % 7}")
    currency, in_currency = ("JPY", Decimal(n * 13)) if n % 3 == 0 else ("NOK", amount)
    with_party = party if n % 5 else None
    return (
        VoucherLine("1920", amount, Decimal(0), currency, in_currency, f"In {n}"),
        VoucherLine("1500", Decimal(0), amount, "NOK", amount, f"Out {n}", with_party),
    )


def posted(uow: UnitOfWork, count: int) -> int:
    """The company's id, with `count` vouchers over the year, numbered in date order."""
    a_company(uow, with_people=False)
    with uow:
        company = uow.companies.get(ORG_NO)
        assert company is not None
        first = uow.postings.take_numbers(company.id, YEAR, count)
        vouchers = [
            NewVoucher(
                VoucherRef(YEAR, first + n),
                date(YEAR, 1, 1) + timedelta(days=n * 365 // count),
                f"Voucher {n}",
                lines(n),
            )
            for n in range(count)
        ]
        uow.incoming.add_vouchers(company.id, vouchers, posted_by_id=None, posted_by="t", now=NOW)
        uow.commit()
        return company.id


def test_streamed_vouchers_are_those_read_at_once_in_number_order(uow: UnitOfWork) -> None:
    company_id = posted(uow, COUNT)
    with uow:
        streamed = list(uow.postings.stream(company_id, ORG_NO))
        read = uow.postings.read(company_id, ORG_NO)
    assert streamed == read
    assert [v.number for v in streamed] == list(range(1, COUNT + 1))
    third = streamed[3]
    assert third.lines[0].amount_currency == Decimal("39") and third.lines[0].currency == "JPY"
    assert str(third.lines[0].amount_currency) == "39"  # JPY's own decimals: none
    assert str(streamed[5].lines[1].credit) == "5.25"
    assert all(len(v.lines) == 2 for v in streamed)


def test_a_stream_of_some_days_reads_those_days_only(uow: UnitOfWork) -> None:
    company_id = posted(uow, COUNT)
    march = {"day_from": date(YEAR, 3, 1), "day_to": date(YEAR, 3, 31)}
    with uow:
        streamed: list[Voucher] = []
        for voucher in uow.postings.stream(company_id, ORG_NO, **march):
            streamed.append(voucher)
            uow.postings.accounts(company_id)  # other statements meanwhile, as a writer may
        read = uow.postings.read(company_id, ORG_NO, **march)
    assert streamed == read
    assert streamed and all(v.day.month == 3 for v in streamed)
