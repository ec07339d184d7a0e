"""The ledger out: the vouchers paybot posted, exported for an accounting system or an auditor
(CSV, JSON, SAF-T Financial), and the general-ledger account balances they leave."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import BinaryIO

from paybot.core.company import CompanyInfo
from paybot.core.errors import ValidationFailed
from paybot.core.ledgerfiles.balance import AccountBalance, LedgerSummary, account_balances
from paybot.core.ledgerfiles.saft import Period
from paybot.core.vouchers import Voucher
from paybot.services.common import company_or_error
from paybot.store.uow import UnitOfWork


class LedgerFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    SAFT = "saft"


@dataclass(frozen=True)
class Exported:
    company: CompanyInfo
    summary: LedgerSummary


@dataclass(frozen=True)
class ContactPerson:
    """Who the Tax Administration may ask about a SAF-T file (the schema requires one)."""

    name: str
    telephone: str
    email: str | None = None


def _vouchers(
    uow: UnitOfWork, company: CompanyInfo, day_from: date | None, day_to: date | None
) -> Iterator[Voucher]:
    """The company's vouchers dated `day_from`..`day_to`, by year and number, read as they are
    taken (inside `uow`'s transaction): memory stays flat however many there are."""
    return uow.postings.stream(company.id, company.org_no, day_from=day_from, day_to=day_to)


def export(
    uow: UnitOfWork,
    *,
    company_org_no: str,
    day_from: date,
    day_to: date,
    kind: LedgerFormat,
    out: BinaryIO,
    now: datetime,
    contact: ContactPerson | None = None,
    software_version: str = "0.1.0",
) -> Exported:
    """Writes the vouchers dated `day_from`..`day_to` (both included) to `out`, as they are read:
    CSV and JSON in one pass; SAF-T reads what was posted before the period first (its opening
    balances), then the period twice (the header's totals and the parties, then the entries).

    `out` gets what was written so far when this raises: write to a temporary file and keep it
    only when this returns.

    Raises:
        ValidationFailed: dates the wrong way round; a SAF-T file without a contact person;
            a voucher or party the format cannot carry (see paybot.core.ledgerfiles).
    """
    if day_from > day_to:
        raise ValidationFailed({"from": f"{day_from} is after --to {day_to}"})
    if kind is LedgerFormat.SAFT and (contact is None or len(contact.name.split()) < 2):
        raise ValidationFailed(
            {"contact": "a SAF-T file names a contact person: first and last name, telephone"}
        )
    with uow:
        company = company_or_error(uow, company_org_no)
        if kind is LedgerFormat.CSV:
            from paybot.core.ledgerfiles.csv_export import write_csv

            vouchers = _vouchers(uow, company, day_from, day_to)
            return Exported(company, write_csv(vouchers, out, language=company.language))
        if kind is LedgerFormat.JSON:
            from paybot.core.ledgerfiles.json_export import write_json

            return Exported(company, write_json(_vouchers(uow, company, day_from, day_to), out))
        assert contact is not None
        period = Period(day_from, day_to)
        saft = _write_saft(uow, company, period, out, now, contact, software_version)
        return Exported(company, saft)


def _write_saft(
    uow: UnitOfWork,
    company: CompanyInfo,
    period: Period,
    out: BinaryIO,
    now: datetime,
    contact: ContactPerson,
    software_version: str,
) -> LedgerSummary:
    from paybot.core.ledgerfiles.saft import (
        Contact,
        SaftCompany,
        first_pass,
        opening_accounts,
        write_saft,
    )

    # Each account opens at what was posted before the period.
    openings = account_balances(_vouchers(uow, company, None, period.start - timedelta(days=1)))
    summary, parties = first_pass(_vouchers(uow, company, period.start, period.end))
    first, _, last = contact.name.strip().rpartition(" ")
    return write_saft(
        out,
        company=SaftCompany(
            org_no=company.org_no,
            name=company.name,
            currency=company.currency,
            contact=Contact(first, last, contact.telephone, contact.email),
        ),
        period=period,
        accounts=opening_accounts(openings),
        parties=parties,
        summary=summary,
        vouchers=_vouchers(uow, company, period.start, period.end),
        created=now.date(),
        software_version=software_version,
    )


def balances(
    uow: UnitOfWork, *, company_org_no: str, up_to: date | None = None
) -> tuple[CompanyInfo, list[AccountBalance]]:
    """Each general-ledger account's debits, credits and balance, of vouchers dated up to
    `up_to` (everything when None)."""
    with uow:
        company = company_or_error(uow, company_org_no)
        return company, account_balances(_vouchers(uow, company, None, up_to))
