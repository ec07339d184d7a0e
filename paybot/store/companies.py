"""Companies and their bank accounts, in SQLAlchemy Core on the tables: a command that only
reads companies (`paybot company list`, and every command's look-up of its company) loads no ORM
(see store/uow.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, bindparam, insert, select, update

from paybot.core.company import BankAccount, CompanyInfo, DispatchTiming, Language, PostingMode
from paybot.core.money import currency_exponent
from paybot.store.tables import companies as _COMPANIES
from paybot.store.tables import company_bank_accounts as _ACCOUNTS

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session


class CompanyRepository:
    """Companies; each is read once per unit of work (a use case asks for it several times)."""

    def __init__(self, statements: Callable[[], Connection | Session]) -> None:
        # The unit of work's connection, or its session once it has one: asked per statement.
        self._sql = statements
        self._read: dict[str, CompanyInfo] = {}

    def add(self, values: Mapping[str, Any], account: Mapping[str, Any]) -> int:
        """A company and its first bank account (columns not given take their defaults)."""
        self._read.clear()
        company_id = int(self._sql().execute(_ADD_COMPANY, dict(values)).scalar_one())
        self._sql().execute(insert(_ACCOUNTS), {**account, "company_id": company_id})
        return company_id

    def update(self, company_id: int, values: Mapping[str, Any]) -> None:
        self._read.clear()
        self._sql().execute(update(_COMPANIES).where(_COMPANY.id == company_id).values(**values))

    def exists(self, org_no: str) -> bool:
        query = select(_COMPANY.id).where(_COMPANY.org_no == org_no)
        return self._sql().scalar(query) is not None

    def get(self, org_no: str) -> CompanyInfo | None:
        found = self.many(org_nos=[org_no])
        return found[0] if found else None

    def get_by_id(self, company_id: int) -> CompanyInfo:
        found = self.many(ids=[company_id])
        if not found:
            raise LookupError(f"no company with id {company_id}")
        return found[0]

    def all(self) -> list[CompanyInfo]:
        return self.many()

    def many(
        self, *, ids: Iterable[int] | None = None, org_nos: Iterable[str] | None = None
    ) -> list[CompanyInfo]:
        """The companies with these ids or organisation numbers (all if neither), by name; two
        statements however many, none for those read before in this unit of work."""
        wanted_ids = None if ids is None else set(ids)
        wanted_org_nos = None if org_nos is None else set(org_nos)
        by_id = {c.id: c for c in self._read.values()}
        if wanted_org_nos is not None and wanted_org_nos <= self._read.keys():
            return sorted((self._read[o] for o in wanted_org_nos), key=_by_name)
        if wanted_ids is not None and wanted_ids <= by_id.keys():
            return sorted((by_id[i] for i in wanted_ids), key=_by_name)
        sql = self._sql()
        if wanted_ids is not None:
            rows = sql.execute(_COMPANIES_BY_ID, {"ids": list(wanted_ids)})
        elif wanted_org_nos is not None:
            rows = sql.execute(_COMPANIES_BY_ORG_NO, {"org_nos": list(wanted_org_nos)})
        else:
            rows = sql.execute(_ALL_COMPANIES)
        companies: dict[int, Row[Any]] = {}
        accounts: dict[int, list[BankAccount]] = {}
        for row in rows:  # a row per account, in order
            columns = row._mapping
            company_id = columns[_COMPANY.id]
            companies.setdefault(company_id, row)
            listed = accounts.setdefault(company_id, [])
            if columns[_ACCOUNT.id] is not None:
                listed.append(_bank_account(row))
        found = [_company(row, tuple(accounts[key])) for key, row in companies.items()]
        self._read.update((c.org_no, c) for c in found)
        return found


def _by_name(company: CompanyInfo) -> tuple[str, int]:
    return company.name, company.id


def _company(row: Row[Any], accounts: tuple[BankAccount, ...]) -> CompanyInfo:
    c = row._mapping
    return CompanyInfo(
        id=c[_COMPANY.id],
        org_no=c[_COMPANY.org_no],
        name=c[_COMPANY.name],
        currency=c[_COMPANY.currency],
        dispatch_timing=DispatchTiming(c[_COMPANY.dispatch_timing]),
        approval_required=c[_COMPANY.approval_required],
        dual_control_threshold=c[_COMPANY.dual_control_threshold],
        posting_mode=PostingMode(c[_COMPANY.posting_mode]),
        language=Language(c[_COMPANY.language]),
        proposals_channel=c[_COMPANY.proposals_channel],
        alerts_channel=c[_COMPANY.alerts_channel],
        post_at=time.fromisoformat(c[_COMPANY.post_at]),
        rounding_tolerance=_to_cents(c[_COMPANY.rounding_tolerance], c[_COMPANY.currency]),
        reporting_threshold=_to_cents(c[_COMPANY.reporting_threshold], "NOK"),
        accounts=accounts,
    )


def _to_cents(amount: Decimal, currency: str) -> Decimal:
    """Money is stored to four decimals: read back to the currency's own."""
    return amount.quantize(Decimal(1).scaleb(-currency_exponent(currency)))


def _bank_account(row: Row[Any]) -> BankAccount:
    a = row._mapping
    return BankAccount(
        account=a[_ACCOUNT.account],
        scheme=a[_ACCOUNT.scheme],
        bank=a[_ACCOUNT.bank],
        bic=a[_ACCOUNT.bic],
        incoming=a[_ACCOUNT.incoming],
        outgoing=a[_ACCOUNT.outgoing],
        gl_account=a[_ACCOUNT.gl_account],
        tax_withholding=a[_ACCOUNT.tax_withholding],
    )


# Rows are read by column, as the two tables share column names.
_COMPANY = _COMPANIES.c
_ACCOUNT = _ACCOUNTS.c

# A company and its bank accounts in one statement: a row per account.
_ALL_COMPANIES = (
    select(_COMPANIES, _ACCOUNTS)
    .outerjoin(_ACCOUNTS, _ACCOUNT.company_id == _COMPANY.id)
    .order_by(_COMPANY.name, _COMPANY.id, _ACCOUNT.id)
)
_COMPANIES_BY_ID = _ALL_COMPANIES.where(_COMPANY.id.in_(bindparam("ids", expanding=True)))
_COMPANIES_BY_ORG_NO = _ALL_COMPANIES.where(
    _COMPANY.org_no.in_(bindparam("org_nos", expanding=True))
)
_ADD_COMPANY = insert(_COMPANIES).returning(_COMPANY.id)
