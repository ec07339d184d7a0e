"""The companies' bank accounts as people read them: how each reaches its bank, its last poll."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from paybot.core.bank_profiles import account_profile
from paybot.core.banks import capabilities
from paybot.core.company import CompanyInfo
from paybot.core.errors import NotFound, ValidationFailed
from paybot.core.identifiers import compact_account
from paybot.services.common import company_or_error
from paybot.store.uow import UnitOfWork


@dataclass(frozen=True)
class LastPoll:
    """When the account's inbox was last read, and when reading it last failed (and why)."""

    succeeded_at: datetime | None
    failed_at: datetime | None
    error: str | None


@dataclass(frozen=True)
class AccountOverview:
    """One bank account with its settings. Nothing secret is kept in them: the SFTP key is a
    file named by its path, and the server's host key is public."""

    company_org_no: str
    company_name: str
    account: str
    scheme: str
    bank: str | None
    bic: str | None
    incoming: bool
    outgoing: bool
    gateway: str
    file_format: str
    outbox: str | None  # None: the default folder under PAYBOT_FILES_DIR
    inbox: str | None
    sftp: dict[str, Any]
    sandbox: dict[str, Any]
    last_poll: LastPoll | None
    # The company's tax-withholding account (skattetrekkskonto), and whether its bank supports
    # tax-withholding accounts (core.banks): payments to one whose bank does not are red.
    tax_withholding: bool = False
    bank_supports_tax_withholding: bool = True
    # The bank profile the account's files follow, and how it was chosen (set, bic, name,
    # default: core.bank_profiles.ProfileSource).
    profile: str = "generic"
    profile_source: str = "default"


def list_accounts(uow: UnitOfWork, *, company_org_no: str | None = None) -> list[AccountOverview]:
    """Every company's accounts (or one company's), by company name."""
    with uow:
        if company_org_no is None:
            companies = uow.companies.all()
        else:
            companies = [company_or_error(uow, company_org_no)]
        return [found for company in companies for found in _overviews(uow, company)]


def show_account(
    uow: UnitOfWork, *, account: str, company_org_no: str | None = None
) -> AccountOverview:
    """One account, by its number; `company_org_no` picks one where companies share it."""
    compact = compact_account(account)
    matches = [
        found
        for found in list_accounts(uow, company_org_no=company_org_no)
        if found.account == compact
    ]
    if not matches:
        where = f" of {company_org_no}" if company_org_no else ""
        raise NotFound(f"No bank account {account}{where}. See `paybot bank list`.")
    if len(matches) > 1:
        owners = ", ".join(found.company_org_no for found in matches)
        raise ValidationFailed(
            {"company": f"{account} belongs to several companies ({owners}): give --company"}
        )
    return matches[0]


def _overviews(uow: UnitOfWork, company: CompanyInfo) -> list[AccountOverview]:
    settings = {found.account: found for found in uow.bank.accounts(company.id)}
    overviews = []
    for account in company.accounts:
        setting = settings[account.account]
        poll = uow.polls.last(setting.id)
        profile, source = account_profile(
            setting.profile, bank=setting.bank, bic=setting.bic, account=setting.account
        )
        overviews.append(
            AccountOverview(
                company_org_no=company.org_no,
                company_name=company.name,
                account=account.account,
                scheme=account.scheme,
                bank=account.bank,
                bic=account.bic,
                incoming=account.incoming,
                outgoing=setting.outgoing,
                gateway=setting.gateway,
                file_format=setting.file_format,
                outbox=setting.outbox,
                inbox=setting.inbox,
                sftp=dict(setting.sftp),
                sandbox=dict(setting.sandbox),
                last_poll=(
                    None
                    if poll is None
                    else LastPoll(poll.succeeded_at, poll.failed_at, poll.error)
                ),
                tax_withholding=account.tax_withholding,
                bank_supports_tax_withholding=capabilities(account.bank).tax_withholding_accounts,
                profile=profile.name,
                profile_source=source.value,
            )
        )
    return overviews
