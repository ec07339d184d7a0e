"""Benchmark: posting 10,000 paid payments to the ledger in one `paybot post`.

Makes one company with N paid payments (default 10,000, over N/20 suppliers, about 2 % in EUR
and 1 % in SEK with rates set, sent in batches of 100 from the company's account and booked by
the bank) in a fresh database: a temp SQLite file, or with --postgres a throwaway PostgreSQL
database `paybot_bench_<random>` dropped afterwards. The ledger goes in through paybot's own
import and proposals; the sends and bookings are written straight to the store, as the bank's
answers leave them. Then, timed, `services.posting.post` posts every paid payment: vouchers
(per payment, or per batch with --mode per_batch), their lines, Paid → Posted, open items closed,
an audit event per payment, all in one transaction.

Prints the seconds and the CPU time (ru_utime + ru_stime) of the posting, the vouchers and lines
written, and the process's peak RSS (ru_maxrss; setup included), then checks every voucher
balances. Target: under 5 s. Figures only: the exit code is 0 unless a check fails.

  .venv/bin/python bench/posting.py
  .venv/bin/python bench/posting.py --payments 10000 --mode per_batch
  .venv/bin/python bench/posting.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, func, insert, select, text, update
from sqlalchemy.engine import make_url
from stdnum import luhn
from stdnum.no import kontonr, orgnr

from paybot.core.company import PostingMode
from paybot.core.ledger_file import OpenItemRow, SupplierRow
from paybot.core.payments import ReferenceType
from paybot.core.policy import Role
from paybot.core.states import PaymentStatus
from paybot.services import companies, ledger, people, posting, proposals, rates
from paybot.services.common import ActorRef
from paybot.store import db
from paybot.store.models import (
    Batch,
    BatchPayment,
    CompanyBankAccount,
    Payment,
    VoucherLine,
)
from paybot.store.models import Voucher as VoucherRow
from paybot.store.uow import UnitOfWork

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PAID_AT = NOW + timedelta(days=2)
ZONE = ZoneInfo("Europe/Oslo")
ORG_NO = "974760673"
ACCOUNT = "86011117947"
POSTER = ActorRef("UPOSTER")
PER_BATCH = 100
TARGET_SECONDS = 5.0


def _valid(rng: random.Random, length: int, first: str, valid: object) -> str:
    """A random number of `length` digits starting with `first`, its last digit made valid."""
    check = valid.is_valid  # type: ignore[attr-defined]
    while True:
        body = first + "".join(rng.choices("0123456789", k=length - len(first) - 1))
        for digit in "0123456789":
            if check(body + digit):
                return body + digit


def ledger_rows(rng: random.Random, count: int) -> tuple[list[SupplierRow], list[OpenItemRow]]:
    suppliers = []
    seen: set[str] = set()
    for index in range(max(1, count // 20)):
        org_no = _valid(rng, 9, "9", orgnr)
        while org_no in seen:
            org_no = _valid(rng, 9, "9", orgnr)
        seen.add(org_no)
        suppliers.append(
            SupplierRow(
                line=index + 2,
                name=f"Leverandør {index} AS",
                org_no=org_no,
                account=_valid(rng, 11, "1503", kontonr),
            )
        )
    items = []
    for index in range(count):
        supplier = suppliers[index % len(suppliers)]
        draw = rng.random()
        currency = "EUR" if draw < 0.02 else "SEK" if draw < 0.03 else "NOK"
        body = f"{index + 1:09d}"
        items.append(
            OpenItemRow(
                line=index + 2,
                voucher_no=str(100_000 + index),
                invoice_no=f"F-{index + 1}",
                supplier_name=supplier.name,
                supplier_org_no=supplier.org_no,
                account=supplier.account,
                amount=Decimal(rng.randint(100, 5_000_000)) / 100,
                currency=currency,
                invoice_date=date(2026, 11, 1) + timedelta(days=rng.randint(0, 20)),
                due_date=date(2026, 12, 1),
                reference_type=ReferenceType.KID,
                reference=body + luhn.calc_check_digit(body),
            )
        )
    return suppliers, items


def setup(engine: Engine, count: int, mode: PostingMode, seed: int) -> None:
    """The company, its ledger and proposals through paybot, then paid in batches."""
    uow = UnitOfWork(engine)
    companies.add_company(uow, org_no=ORG_NO, name="Acme AS", account=ACCOUNT, now=NOW)
    companies.update_settings(uow, org_no=ORG_NO, posting_mode=mode, now=NOW)
    people.add_user(
        uow, company_org_no=ORG_NO, slack_user_id=POSTER.slack_user_id, name="Poster",
        roles=[Role.SIGNER], now=NOW,
    )  # fmt: skip
    for currency, rate in (("EUR", "11.50"), ("SEK", "1.02")):
        rates.set_rate(
            uow, currency=currency, rate=Decimal(rate), valid_from=date(2026, 10, 1), now=NOW
        )
    rates.set_rate(
        uow, currency="EUR", rate=Decimal("11.62"), valid_from=date(2026, 11, 20), now=NOW
    )
    suppliers, items = ledger_rows(random.Random(seed), count)
    ledger.import_suppliers(uow, company_org_no=ORG_NO, source="s.csv", rows=suppliers, now=NOW)
    ledger.import_open_items(uow, company_org_no=ORG_NO, source="i.csv", rows=items, now=NOW)
    proposals.refresh(uow, company_org_no=ORG_NO, now=NOW)
    pay_all(engine)


def pay_all(engine: Engine) -> None:
    """Every payment sent in a batch of PER_BATCH and booked by the bank, Paid."""
    with engine.begin() as connection:
        account_id = connection.execute(select(CompanyBankAccount.id)).scalar_one()
        rows = connection.execute(
            select(Payment.id, Payment.company_id, Payment.amount, Payment.currency).order_by(
                Payment.id
            )
        ).all()
        for number, start in enumerate(range(0, len(rows), PER_BATCH), start=1):
            chunk = rows[start : start + PER_BATCH]
            message = f"PAYBOT-BENCH-{number}"
            batch_id = connection.execute(
                insert(Batch)
                .values(
                    company_id=chunk[0].company_id, bank_account_id=account_id, number=number,
                    status="sent", message_id=message, file_format="pain.001.001.03",
                    created_at=PAID_AT, sent_at=PAID_AT, upload_attempts=0,
                )
                .returning(Batch.id)
            ).scalar_one()  # fmt: skip
            connection.execute(
                insert(BatchPayment),
                [
                    {
                        "batch_id": batch_id, "payment_id": row.id,
                        "end_to_end_id": f"{message}-P{row.id}", "payment_info_id": f"{message}-1",
                        "execution_date": PAID_AT.date(), "amount": row.amount,
                        "currency": row.currency, "status": "booked", "updated_at": PAID_AT,
                        "booked_amount": row.amount, "booked_currency": row.currency,
                    }
                    for row in chunk
                ],
            )  # fmt: skip
            connection.execute(
                update(Payment)
                .where(Payment.id.in_([row.id for row in chunk]))
                .values(
                    status=PaymentStatus.PAID.value, batch_id=batch_id, sent_at=PAID_AT,
                    paid_at=PAID_AT, version=Payment.version + 1,
                )
            )  # fmt: skip


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def database(postgres: str | None) -> Iterator[str]:
    """A migrated, empty database: a temp SQLite file, or a throwaway PostgreSQL database."""
    if postgres is None:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            engine = db.make_engine(url)
            db.upgrade(engine)
            engine.dispose()
            yield url
        return
    admin_url = make_url(postgres)
    name = f"paybot_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        engine = db.make_engine(url)
        db.upgrade(engine)
        engine.dispose()
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=10_000)
    parser.add_argument("--mode", choices=[m.value for m in PostingMode], default="per_payment")
    parser.add_argument("--postgres", metavar="URL", default=None)
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()
    mode = PostingMode(args.mode)
    with database(args.postgres) as url:
        engine = db.make_engine(url)
        started = time.perf_counter()
        setup(engine, args.payments, mode, args.seed)
        print(f"setup: {args.payments} paid payments in {time.perf_counter() - started:.1f} s")
        uow = UnitOfWork(engine)
        cpu_before, wall_before = cpu(), time.perf_counter()
        vouchers = posting.post(
            uow, actor=POSTER, company_org_no=ORG_NO, now=PAID_AT + timedelta(hours=2), zone=ZONE
        )
        seconds, cpu_seconds = time.perf_counter() - wall_before, cpu() - cpu_before
        with engine.connect() as connection:
            stored = connection.execute(select(func.count()).select_from(VoucherRow)).scalar()
            lines = connection.execute(select(func.count()).select_from(VoucherLine)).scalar()
            unbalanced = connection.execute(
                select(VoucherLine.voucher_id)
                .group_by(VoucherLine.voucher_id)
                .having(func.sum(VoucherLine.debit) != func.sum(VoucherLine.credit))
            ).all()
            posted = connection.execute(
                select(func.count()).where(Payment.status == PaymentStatus.POSTED.value)
            ).scalar()
        engine.dispose()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    where = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"post ({mode.value}, {where}): {posted} payments as {stored} vouchers, {lines} lines, "
        f"in {seconds:.2f} s (CPU {cpu_seconds:.2f} s; target under {TARGET_SECONDS:.0f} s), "
        f"peak RSS {peak:.0f} MB"
    )
    ok = posted == args.payments and stored == len(vouchers) and not unbalanced
    if not ok:
        print(f"CHECK FAILED: posted {posted}, stored {stored}, unbalanced {len(unbalanced)}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
