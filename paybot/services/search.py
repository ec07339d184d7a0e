"""Search payments by the seed's fields: to-account, company, amount, due date, status, currency."""

from __future__ import annotations

from paybot.core.payments import PaymentView
from paybot.core.search_query import parse_query
from paybot.services.common import company_or_error
from paybot.store.uow import UnitOfWork


def search(
    uow: UnitOfWork, *, query: str, company_org_no: str | None = None, limit: int | None = None
) -> list[PaymentView]:
    """Payments matching `query` (see `paybot search --help`); a bad query raises QueryError."""
    parsed = parse_query(query)
    with uow:
        company_id = None if company_org_no is None else company_or_error(uow, company_org_no).id
        return uow.payments.list(company_id=company_id, query=parsed, limit=limit)
