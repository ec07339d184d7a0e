"""A company's chart of accounts, in SQLAlchemy Core on the table: listing it (`paybot ledger
accounts list`) loads no ORM (see store/uow.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, insert, select, update

from paybot.core.chart_of_accounts import LedgerAccount
from paybot.store.tables import chart_accounts as _CHART
from paybot.store.tables import companies as _COMPANIES

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

_C = _CHART.c
_ACCOUNTS = select(_C.number, _C.name, _C.by_hand).where(_C.company_id == bindparam("company"))
_ONE = _ACCOUNTS.where(_C.number == bindparam("number"))
_ANY = select(_C.id).where(_C.company_id == bindparam("company")).limit(1)
_CHANGE = (
    update(_CHART)
    .where(_C.company_id == bindparam("company"), _C.number == bindparam("account"))
    .values(
        name=bindparam("new_name"), by_hand=bindparam("new_by_hand"), updated_at=bindparam("at")
    )
)


class ChartRepository:
    """The GL accounts of companies' charts."""

    def __init__(self, statements: Callable[[], Connection | Session]) -> None:
        # The unit of work's connection, or its session once it has one: asked per statement.
        self._sql = statements

    def lock(self, company_id: int) -> None:
        """One change of the company's chart at a time (PostgreSQL; SQLite's writers are one at a
        time anyway). FOR NO KEY UPDATE: rows that refer to the company (audit events, vouchers)
        are not held up by it."""
        query = select(_COMPANIES.c.id).where(_COMPANIES.c.id == company_id)
        self._sql().execute(query.with_for_update(key_share=True))

    def accounts(self, company_id: int) -> dict[str, LedgerAccount]:
        """The company's chart by number (empty: it has none)."""
        rows = self._sql().execute(_ACCOUNTS, {"company": company_id})
        return {number: LedgerAccount(number, name, by_hand) for number, name, by_hand in rows}

    def get(self, company_id: int, number: str) -> LedgerAccount | None:
        row = self._sql().execute(_ONE, {"company": company_id, "number": number}).first()
        return None if row is None else LedgerAccount(row.number, row.name, row.by_hand)

    def has_chart(self, company_id: int) -> bool:
        return self._sql().execute(_ANY, {"company": company_id}).first() is not None

    def add(self, company_id: int, accounts: Iterable[LedgerAccount], now: datetime) -> None:
        rows = [
            {
                "company_id": company_id,
                "number": a.number,
                "name": a.name,
                "by_hand": a.by_hand,
                "updated_at": now,
            }
            for a in accounts
        ]
        if rows:
            self._sql().execute(insert(_CHART), rows)

    def change(self, company_id: int, accounts: Sequence[LedgerAccount], now: datetime) -> None:
        """These accounts' names and by_hand, as given."""
        if accounts:
            self._sql().execute(
                _CHANGE,
                [
                    {
                        "company": company_id,
                        "account": a.number,
                        "new_name": a.name,
                        "new_by_hand": a.by_hand,
                        "at": now,
                    }
                    for a in accounts
                ],
            )
