"""Search payments by the seed's fields: to-account, company, amount, due date, status, currency."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from paybot.core.company import CompanyInfo
from paybot.core.payments import PaymentView
from paybot.core.search_query import PAGE_SIZE, parse_query
from paybot.services.common import ActorRef, company_or_error
from paybot.services.people import member_of
from paybot.store.uow import UnitOfWork


def search(
    uow: UnitOfWork, *, query: str, company_org_no: str | None = None, limit: int | None = None
) -> list[PaymentView]:
    """Payments matching `query` (see `paybot search --help`); a bad query raises QueryError.
    Every match (or the first `limit`), unless the query asks for a page: then that page, of
    `limit` (or PAGE_SIZE) matches."""
    parsed = parse_query(query)
    with uow:
        company = None if company_org_no is None else company_or_error(uow, company_org_no)
        if parsed.page == 1:
            company_id = None if company is None else company.id
            return uow.payments.list(company_id=company_id, query=parsed, limit=limit)
        size = limit or PAGE_SIZE
        ids = [c.id for c in ([company] if company is not None else uow.companies.all())]
        _, found = uow.payments.page(
            company_ids=ids, query=parsed, offset=(parsed.page - 1) * size, limit=size
        )
        return list(found)


@dataclass(frozen=True)
class Matches:
    """One page of the payments matching a query, and how many match in all."""

    total: int
    payments: list[PaymentView]


def matches(
    uow: UnitOfWork,
    *,
    query: str,
    company_org_nos: Sequence[str],
    offset: int = 0,
    limit: int,
) -> Matches:
    """Counted and paged in the database, so a broad query costs one page, not every match."""
    parsed = parse_query(query)
    wanted = {org_no.replace(" ", "") for org_no in company_org_nos}
    with uow:
        companies = uow.companies.many(org_nos=wanted) if wanted else []
        for org_no in wanted - {c.org_no for c in companies}:
            company_or_error(uow, org_no)  # raises, naming it
        total, found = uow.payments.page(
            company_ids=[c.id for c in companies], query=parsed, offset=offset, limit=limit
        )
    return Matches(total, list(found))


@dataclass(frozen=True)
class PersonMatches:
    """A person's search: the companies they have a role in (the only ones searched) and one
    page of the matches there."""

    companies: list[CompanyInfo]
    total: int
    payments: list[PaymentView]
    page: int = 1  # the page the query asked for


def person_matches(
    uow: UnitOfWork, *, user: ActorRef, query: str, offset: int = 0, limit: int
) -> PersonMatches:
    """`/bank search`: who may see what and the page, in one transaction. The page the query
    asks for (`page:N`, pages of `limit`) starts `offset` further on."""
    parsed = parse_query(query)
    with uow:
        companies = [m.company for m in member_of(uow, user)]
        if not companies:
            return PersonMatches([], 0, [], parsed.page)
        total, found = uow.payments.page(
            company_ids=[c.id for c in companies],
            query=parsed,
            offset=offset + (parsed.page - 1) * limit,
            limit=limit,
        )
    return PersonMatches(companies, total, list(found), parsed.page)
