"""Companies and their bank accounts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import time
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from paybot.core.company import BankAccount, CompanyInfo, DispatchTiming, Language, PostingMode
from paybot.store.models import Company, CompanyBankAccount


class CompanyRepository:
    """Companies; each is read once per unit of work (a use case asks for it several times)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._read: dict[str, CompanyInfo] = {}

    def add(self, values: Mapping[str, Any], account: Mapping[str, Any]) -> int:
        self._read.clear()
        company = Company(**values)
        self._session.add(company)
        self._session.flush()
        self._session.add(CompanyBankAccount(company_id=company.id, **account))
        self._session.flush()
        return company.id

    def update(self, company_id: int, values: Mapping[str, Any]) -> None:
        self._read.clear()
        self._session.execute(update(Company).where(Company.id == company_id).values(**values))

    def exists(self, org_no: str) -> bool:
        query = select(Company.id).where(Company.org_no == org_no)
        return self._session.scalar(query) is not None

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
        if wanted_ids is not None:
            rows = self._session.execute(_COMPANIES_BY_ID, {"ids": list(wanted_ids)})
        elif wanted_org_nos is not None:
            rows = self._session.execute(_COMPANIES_BY_ORG_NO, {"org_nos": list(wanted_org_nos)})
        else:
            rows = self._session.execute(_ALL_COMPANIES)
        companies: dict[int, Company] = {}
        accounts: dict[int, list[BankAccount]] = {}
        for company, account in rows:  # a row per account, in order
            companies.setdefault(company.id, company)
            listed = accounts.setdefault(company.id, [])
            if account is not None:
                listed.append(_bank_account(account))
        found = [_company(row, tuple(accounts[key])) for key, row in companies.items()]
        self._read.update((c.org_no, c) for c in found)
        return found


def _by_name(company: CompanyInfo) -> tuple[str, int]:
    return company.name, company.id


def _company(row: Company, accounts: tuple[BankAccount, ...]) -> CompanyInfo:
    return CompanyInfo(
        id=row.id,
        org_no=row.org_no,
        name=row.name,
        currency=row.currency,
        dispatch_timing=DispatchTiming(row.dispatch_timing),
        approval_required=row.approval_required,
        dual_control_threshold=row.dual_control_threshold,
        posting_mode=PostingMode(row.posting_mode),
        language=Language(row.language),
        proposals_channel=row.proposals_channel,
        alerts_channel=row.alerts_channel,
        post_at=time.fromisoformat(row.post_at),
        accounts=accounts,
    )


def _bank_account(row: CompanyBankAccount) -> BankAccount:
    return BankAccount(
        account=row.account,
        scheme=row.scheme,
        bank=row.bank,
        bic=row.bic,
        incoming=row.incoming,
        outgoing=row.outgoing,
        gl_account=row.gl_account,
        tax_withholding=row.tax_withholding,
    )


# A company and its bank accounts in one statement: a row per account.
_ALL_COMPANIES = (
    select(Company, CompanyBankAccount)
    .outerjoin(CompanyBankAccount, CompanyBankAccount.company_id == Company.id)
    .order_by(Company.name, Company.id, CompanyBankAccount.id)
)
_COMPANIES_BY_ID = _ALL_COMPANIES.where(Company.id.in_(bindparam("ids", expanding=True)))
_COMPANIES_BY_ORG_NO = _ALL_COMPANIES.where(
    Company.org_no.in_(bindparam("org_nos", expanding=True))
)
