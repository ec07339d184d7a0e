"""Search pages are counted and cut in the database."""

from __future__ import annotations

from decimal import Decimal

from paybot.services import search
from paybot.store.uow import UnitOfWork
from tests.builders import ORG_NO, a_company, a_supplier, an_item, ledger_with


def test_a_page_holds_its_share_of_the_matches_and_the_total_counts_them_all(
    uow: UnitOfWork,
) -> None:
    a_company(uow, with_people=False)
    ledger_with(
        uow,
        [an_item(amount=Decimal(100 + n)) for n in range(7)] + [an_item(currency="EUR")],
        [a_supplier()],
    )
    first = search.matches(uow, query="currency:NOK", company_org_nos=[ORG_NO], limit=3)
    last = search.matches(uow, query="currency:NOK", company_org_nos=[ORG_NO], offset=6, limit=3)
    assert (first.total, last.total) == (7, 7)
    assert len(first.payments) == 3 and len(last.payments) == 1
    assert not {p.id for p in first.payments} & {p.id for p in last.payments}
    assert search.matches(uow, query="", company_org_nos=[], limit=5).total == 0
