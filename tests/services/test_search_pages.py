"""Search pages are counted and cut in the database, only where the person has a role."""

from __future__ import annotations

from decimal import Decimal

import pytest

from paybot.core.errors import NotFound
from paybot.services import companies, search
from paybot.services.common import ActorRef
from paybot.store.uow import UnitOfWork
from tests.builders import (
    APPROVER,
    COMPANY_ACCOUNT,
    NOW,
    ORG_NO,
    a_company,
    a_supplier,
    an_item,
    ledger_with,
)

OTHER_ORG_NO = "923609016"


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


def test_a_page_past_the_end_still_counts_the_matches(uow: UnitOfWork) -> None:
    a_company(uow, with_people=False)
    ledger_with(uow, [an_item(amount=Decimal(100 + n)) for n in range(4)], [a_supplier()])
    beyond = search.matches(uow, query="currency:NOK", company_org_nos=[ORG_NO], offset=8, limit=3)
    assert (beyond.total, beyond.payments) == (4, [])


def test_an_unknown_company_is_named(uow: UnitOfWork) -> None:
    a_company(uow, with_people=False)
    with pytest.raises(NotFound, match="923609016"):
        search.matches(uow, query="", company_org_nos=[ORG_NO, "923609016"], limit=3)


def test_a_person_searches_only_where_they_have_a_role(uow: UnitOfWork) -> None:
    a_company(uow)
    companies.add_company(
        uow, org_no=OTHER_ORG_NO, name="Other AS", account=COMPANY_ACCOUNT, bank="DNB", now=NOW
    )
    ledger_with(uow, [an_item(amount=Decimal(100 + n)) for n in range(5)], [a_supplier()])
    found = search.person_matches(uow, user=APPROVER, query="currency:NOK", offset=2, limit=2)
    assert [c.org_no for c in found.companies] == [ORG_NO]
    assert found.total == 5 and len(found.payments) == 2
    assert all(p.company_org_no == ORG_NO for p in found.payments)
    stranger = search.person_matches(uow, user=ActorRef("USTRANGER"), query="", limit=2)
    assert (stranger.companies, stranger.total, stranger.payments) == ([], 0, [])
