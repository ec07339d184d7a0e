"""A company's chart of accounts (kontoplan): imported from a file, listed, and asked whether a
person may post a payment to an account by hand.

- `import_chart` makes the company's chart the file's, whole or not at all: new accounts added,
  changed names (and by_hand) taken, accounts the file no longer has closed for posting by hand
  (kept, so their names still name what was posted to them). The same file again changes nothing.
- `hand_account` is what `incoming.post_by_hand` asks: with a chart, an account not in it, or
  closed for posting by hand, is refused; without one, any GL account number goes (as before
  charts were kept).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from paybot.core.chart_of_accounts import AccountNotInChart, ChartRow, LedgerAccount
from paybot.core.company import CompanyInfo
from paybot.core.errors import ImportRejected
from paybot.core.policy import Actor
from paybot.services.common import SYSTEM, audit, company_or_error
from paybot.store.uow import UnitOfWork

__all__ = [
    "Chart",
    "ChartImport",
    "account_names",
    "hand_account",
    "import_chart",
    "list_chart",
]


@dataclass(frozen=True)
class ChartImport:
    """What an import did to the chart."""

    company: CompanyInfo
    new: int = 0
    changed: int = 0  # renamed, or opened or closed for posting by hand by the file
    unchanged: int = 0
    closed: int = 0  # no longer in the file: closed for posting by hand

    @property
    def changes(self) -> int:
        return self.new + self.changed + self.closed


@dataclass(frozen=True)
class Chart:
    """A company's chart of accounts, by number (empty: it has none)."""

    company: CompanyInfo
    accounts: tuple[LedgerAccount, ...]


def import_chart(
    uow: UnitOfWork,
    *,
    company_org_no: str,
    source: str,
    rows: Sequence[ChartRow],
    now: datetime,
    actor: Actor = SYSTEM,
) -> ChartImport:
    """Makes the company's chart of accounts the file's (`rows`, from
    `core.chart_of_accounts.read_chart`), in one transaction, audited when it changed anything.

    Raises:
        NotFound: no such company.
        ImportRejected: no rows.
    """
    if not rows:
        raise ImportRejected(source, 1, None, "no accounts in the file")
    with uow:
        company = company_or_error(uow, company_org_no)
        uow.chart.lock(company.id)
        before = uow.chart.accounts(company.id)
        given = {row.number: LedgerAccount(row.number, row.name, row.by_hand) for row in rows}
        new = [account for number, account in given.items() if number not in before]
        changed = [
            account
            for number, account in given.items()
            if number in before and before[number] != account
        ]
        closed = [
            LedgerAccount(number, account.name, by_hand=False)
            for number, account in before.items()
            if number not in given and account.by_hand
        ]
        uow.chart.add(company.id, new, now)
        uow.chart.change(company.id, changed + closed, now)
        result = ChartImport(
            company=company,
            new=len(new),
            changed=len(changed),
            unchanged=len(given) - len(new) - len(changed),
            closed=len(closed),
        )
        if result.changes:
            audit(
                uow,
                actor=actor,
                action="chart.import",
                now=now,
                company_id=company.id,
                details={
                    "source": source,
                    "new": [a.number for a in new],
                    "changed": [a.number for a in changed],
                    "closed": [a.number for a in closed],
                    "unchanged": result.unchanged,
                },
            )
            uow.commit()
    return result


def list_chart(uow: UnitOfWork, company_org_no: str) -> Chart:
    """The company's chart of accounts, by number."""
    with uow:
        company = company_or_error(uow, company_org_no)
        accounts = uow.chart.accounts(company.id)
    return Chart(company, tuple(accounts[number] for number in sorted(accounts)))


def account_names(uow: UnitOfWork, company_org_no: str) -> dict[str, str]:
    """The names the company's chart gives its accounts, by number (empty: it has no chart)."""
    with uow:
        company = company_or_error(uow, company_org_no)
        return {number: a.name for number, a in uow.chart.accounts(company.id).items()}


def hand_account(uow: UnitOfWork, company: CompanyInfo, number: str) -> LedgerAccount | None:
    """The account a person is about to post to by hand, inside the caller's transaction: its
    entry in the company's chart, or None when the company has no chart.

    Raises:
        AccountNotInChart: the company has a chart, and the account is not in it, or it is
            closed for posting by hand.
    """
    account = uow.chart.get(company.id, number)
    if account is None:
        if not uow.chart.has_chart(company.id):
            return None
        raise AccountNotInChart(number, company.name, company.org_no, closed_name=None)
    if not account.by_hand:
        raise AccountNotInChart(number, company.name, company.org_no, closed_name=account.name)
    return account
