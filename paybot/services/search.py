"""Search payments by the seed's fields: to-account, company, amount, due date, status, currency;
`direction:in` searches the incoming payments instead (`incoming_matches`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from paybot.core.company import CompanyInfo
from paybot.core.errors import QueryError
from paybot.core.identifiers import compact_account
from paybot.core.payments import PaymentView
from paybot.core.search_query import PAGE_SIZE, SearchQuery, parse_query
from paybot.services import incoming, incoming_summary
from paybot.services.common import ActorRef, company_or_error
from paybot.services.incoming import IncomingStatus, IncomingView
from paybot.services.incoming_summary import Line
from paybot.services.people import member_of
from paybot.store.uow import UnitOfWork


def search(
    uow: UnitOfWork, *, query: str, company_org_no: str | None = None, limit: int | None = None
) -> list[PaymentView]:
    """Payments matching `query` (see `paybot search --help`); a bad query raises QueryError.
    Every match (or the first `limit`), unless the query asks for a page: then that page, of
    `limit` (or PAGE_SIZE) matches."""
    parsed = parse_query(query)
    if parsed.incoming:
        raise QueryError("direction: incoming payments are listed by `paybot incoming list`")
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


@dataclass(frozen=True)
class IncomingMatches:
    """A person's `/bank search direction:in`: one page of the incoming payments that match in
    the companies they have a role in, and how many match in all."""

    companies: list[CompanyInfo]
    total: int
    lines: list[Line]
    page: int = 1


def incoming_matches(uow: UnitOfWork, *, user: ActorRef, query: str, limit: int) -> IncomingMatches:
    """Incoming payments matching `query` (direction:in): status, amount, currency, the day paid
    (due:), the account paid to (to:), the payer (company:) and words (payer, KID, invoice
    number, message), newest first."""
    parsed = parse_query(query)
    with uow:
        companies = [m.company for m in member_of(uow, user)]
    found: list[IncomingView] = []
    statuses = (
        None
        if parsed.incoming_statuses is None
        else [IncomingStatus(status) for status in sorted(parsed.incoming_statuses)]
    )
    for company in companies:
        listed = incoming.list_incoming(uow, company.org_no, statuses)
        found += [view for view in listed if _matches(view, parsed)]
    found.sort(key=lambda view: (view.payment_date, view.id), reverse=True)
    start = (parsed.page - 1) * limit
    page = found[start : start + limit]
    lines: list[Line] = []
    for org_no in dict.fromkeys(view.company_org_no for view in page):
        ids = [view.id for view in page if view.company_org_no == org_no]
        lines += incoming_summary.lines(uow, company_org_no=org_no, payment_ids=ids)
    order = {view.id: index for index, view in enumerate(page)}
    lines.sort(key=lambda line: order[line.payment.id])
    return IncomingMatches(companies, len(found), lines, parsed.page)


def _matches(view: IncomingView, query: SearchQuery) -> bool:
    if query.amount_ranges and not all(r.contains(view.amount) for r in query.amount_ranges):
        return False
    if query.due_ranges and not all(r.contains(view.payment_date) for r in query.due_ranges):
        return False
    if query.currencies is not None and view.currency not in query.currencies:
        return False
    account = compact_account(view.account)
    if query.to_accounts and not all(a == account for a in query.to_accounts):
        return False
    payer = (view.payer or "").lower()
    if not all(text.lower() in payer for text in query.company_texts):
        return False
    said = " ".join(
        part or "" for part in (view.payer, view.kid, view.invoice_no, view.message, view.detail)
    ).lower()
    return all(word.lower() in said for word in query.words)
