"""What the metrics read from the database at each scrape: a few GROUP BY counts, so they are
right whichever process (a Slack worker, `paybot jobs`, another machine) did the work.

Each query reads a table that grows with the work (payments, sends, batches, files), never the
audit trail, which grows with every click: one-time-code failures are read from the devices'
own counts (wrong codes in a row, locked until), not counted in the audit events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine, func, select, text

from paybot.store.models import (
    Alarm,
    BankPoll,
    Batch,
    BatchPayment,
    Company,
    CompanyBankAccount,
    OtpDevice,
    Payment,
    ReturnFile,
)


@dataclass(frozen=True)
class Snapshot:
    """Counts by label values, as read in one transaction."""

    payments: dict[tuple[str, str], int] = field(default_factory=dict)  # (org no, state)
    batches_sent: dict[str, int] = field(default_factory=dict)  # org no
    sends: dict[str, int] = field(default_factory=dict)  # send state
    return_files: dict[str, int] = field(default_factory=dict)  # file kind
    alarms: dict[str, int] = field(default_factory=dict)  # alarm kind
    # (org no, account) -> (last successful read, last failed read), unix time
    polls: dict[tuple[str, str], tuple[float | None, float | None]] = field(default_factory=dict)
    otp_locked: int = 0  # devices locked now
    otp_failing: int = 0  # devices whose last code was wrong
    otp_failures: int = 0  # wrong codes in a row, added over all devices


def read_snapshot(engine: Engine, now: datetime, *, timeout_ms: int = 2000) -> Snapshot:
    """Every count, in one read-only transaction that gives up after `timeout_ms` (PostgreSQL)."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"SET LOCAL statement_timeout = {int(timeout_ms)}"))
        return _read(connection, now)


def _read(connection: Connection, now: datetime) -> Snapshot:
    # By company id (the index on company and status answers it), named after.
    org_nos: dict[int, str] = {
        company_id: org_no
        for company_id, org_no in connection.execute(select(Company.id, Company.org_no))
    }
    payments = connection.execute(
        select(Payment.company_id, Payment.status, func.count()).group_by(
            Payment.company_id, Payment.status
        )
    )
    batches = connection.execute(
        select(Company.org_no, func.count())
        .select_from(Batch)
        .join(Company, Company.id == Batch.company_id)
        .where(Batch.sent_at.is_not(None))
        .group_by(Company.org_no)
    )
    sends = connection.execute(
        select(BatchPayment.status, func.count()).group_by(BatchPayment.status)
    )
    files = connection.execute(select(ReturnFile.kind, func.count()).group_by(ReturnFile.kind))
    alarms = connection.execute(select(Alarm.kind, func.count()).group_by(Alarm.kind))
    polls = connection.execute(
        select(
            Company.org_no, CompanyBankAccount.account, BankPoll.succeeded_at, BankPoll.failed_at
        )
        .select_from(BankPoll)
        .join(CompanyBankAccount, CompanyBankAccount.id == BankPoll.bank_account_id)
        .join(Company, Company.id == CompanyBankAccount.company_id)
    )
    locked = connection.scalar(
        select(func.count()).select_from(OtpDevice).where(OtpDevice.locked_until > now)
    )
    failing, failures = connection.execute(
        select(func.count(), func.coalesce(func.sum(OtpDevice.failures), 0)).where(
            OtpDevice.failures > 0
        )
    ).one()
    return Snapshot(
        payments={(org_nos[company], status): n for company, status, n in payments},
        batches_sent={org_no: n for org_no, n in batches},
        sends={status: n for status, n in sends},
        return_files={kind: n for kind, n in files},
        alarms={kind: n for kind, n in alarms},
        polls={
            (org_no, account): (_unix(succeeded), _unix(failed))
            for org_no, account, succeeded, failed in polls
        },
        otp_locked=int(locked or 0),
        otp_failing=int(failing or 0),
        otp_failures=int(failures or 0),
    )


def _unix(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()
