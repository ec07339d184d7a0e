"""Benchmark: ingesting an OCR Giro file of incoming KID payments against 100,000 open customer
invoices (SQLite by default, or PostgreSQL with --database-url).

For each file size (10,000 and 100,000 transactions by default) a fresh database gets a company
and 100,000 open customer items (one child process: the setup, not timed), and an OCR Giro file
is written whose payments are, in turn, exact (matched and posted), a little short (partial),
a little over (overpaid) and of a KID no invoice has (unmatched): nine in ten are posted. Then
another fresh child process times `services.incoming.ingest` of the file, one transaction:

  wall   time.perf_counter around the ingest
  cpu    ru_utime + ru_stime of the child around it (less disturbed by other work)
  rss    the child's peak RSS (ru_maxrss) before (imports, engine) and after the ingest

Target: under 10 s and 300 MB for 100,000 transactions, and flat memory: the peak at the largest
file within 30 MB of the smallest (the customer items read are those of a chunk's KIDs).

  .venv/bin/python bench/incoming.py
  .venv/bin/python bench/incoming.py --sizes 100000 --items 100000
  .venv/bin/python bench/incoming.py --database-url \
      postgresql+psycopg://postgres@127.0.0.1:5432/postgres

With --database-url each size gets a database of its own made on that PostgreSQL server (and
dropped afterwards), as each gets a fresh SQLite file without it. Such a database has no
planner statistics (as a new company's first files would not), which the ingest must not need.

Figures only: the exit code is 0 whether the target is met or not.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

DEFAULT_SIZES = (10_000, 100_000)
ITEMS = 100_000
ORG_NO = "974760673"
ACCOUNT = "86011117947"
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
SETTLED = "231126"
TARGET_SECONDS, TARGET_MB, FLAT_MB = 10.0, 300.0, 30.0


def kid(number: int) -> str:
    """A 9-digit KID with its MOD10 check digit."""
    body = f"{number:08d}"
    total = 0
    for index, digit in enumerate(reversed(body)):
        value = int(digit) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return f"{body}{(10 - total % 10) % 10}"


def invoice_amount(number: int) -> Decimal:
    return Decimal(100 + number % 9000) + Decimal(number % 100) / 100


def paid_ore(index: int, items: int) -> tuple[int, str]:
    """What transaction `index` pays (øre) and its KID: exact, short, over or unknown."""
    number = index % items
    ore = int(invoice_amount(number) * 100)
    kind = index % 10
    if kind == 9:
        return 5000, kid(items + index)  # no such invoice
    if kind == 8:
        return ore - 1000, kid(number)
    if kind == 7:
        return ore + 1000, kid(number)
    return ore, kid(number)


def write_ocr(path: Path, size: int, items: int) -> None:
    """One assignment of `size` transactions (type 10: a record 30 and a 31 each)."""
    total = 0
    with path.open("wb") as out:
        out.write(f"NY000010000080800170031{'00010200'}{'0' * 49}\r\n".encode())
        out.write(f"NY090020001008566{'0000001'}{ACCOUNT}{'0' * 45}\r\n".encode())
        for index in range(size):
            ore, reference = paid_ore(index, items)
            total += ore
            n = index + 1
            out.write(
                f"NY091030{n:07d}{SETTLED}1320101464{'0'}{ore:017d}{reference:>25}000000\r\n"
                f"NY091031{n:07d}9797596016000000001{'0' * 7}181126{'99991005524'}{'0' * 22}\r\n"
                .encode()
            )  # fmt: skip
        records = 2 * size
        out.write(
            f"NY090088{size:08d}{records + 2:08d}{total:017d}{SETTLED * 3}{'0' * 21}\r\n"
            f"NY000089{size:08d}{records + 4:08d}{total:017d}{SETTLED}{'0' * 33}\r\n".encode()
        )


def setup(url: str, file: Path, size: int, items: int) -> None:
    from paybot.core.ledger_file import CustomerItemRow
    from paybot.services import companies, customer_ledger
    from paybot.store import db
    from paybot.store.uow import UnitOfWork

    engine = db.make_engine(url)
    db.upgrade(engine)
    uow = UnitOfWork(engine)
    companies.add_company(uow, org_no=ORG_NO, name="Bench AS", account=ACCOUNT, now=NOW)
    rows = [
        CustomerItemRow(
            line=n + 2,
            invoice_no=f"F-{n}",
            customer_name=f"Kunde {n % 5000} AS",
            customer_org_no=None,
            amount=invoice_amount(n),
            currency="NOK",
            invoice_date=None,
            due_date=None,
            kid=kid(n),
        )
        for n in range(items)
    ]
    customer_ledger.import_customer_items(
        uow, company_org_no=ORG_NO, source="bench.csv", rows=rows, now=NOW
    )
    write_ocr(file, size, items)
    engine.dispose()


def measure(url: str, file: Path) -> dict[str, object]:
    from paybot.services import incoming
    from paybot.store import db
    from paybot.store.uow import UnitOfWork

    engine = db.make_engine(url)
    uow = UnitOfWork(engine)
    with uow:  # connect and load the repositories before timing
        uow.incoming  # noqa: B018
    data = file.read_bytes()
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu0, wall0 = usage.ru_utime + usage.ru_stime, time.perf_counter()
    result = incoming.ingest(uow, company_org_no=ORG_NO, source=file.name, data=data, now=NOW)
    wall = time.perf_counter() - wall0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime - cpu0,
        "base_mb": base,
        "peak_mb": usage.ru_maxrss / 1024,
        "payments": result.payments,
        "vouchers": result.vouchers,
        "counts": result.counts,
        "file_mb": len(data) / 2**20,
    }


@contextmanager
def fresh_database(server_url: str | None, folder: str, size: int) -> Iterator[str]:
    """A new empty database: a SQLite file in `folder`, or a database made on the PostgreSQL
    server of `server_url` and dropped afterwards."""
    if server_url is None:
        yield f"sqlite:///{folder}/bench.db"
        return
    from sqlalchemy import create_engine, make_url, text

    admin_url = make_url(server_url)
    name = f"paybot_bench_incoming_{os.getpid()}_{size}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_child(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--items", type=int, default=ITEMS)
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server: a fresh database on it per size (default: a SQLite file)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        step, url, file, size, items = args.child
        if step == "setup":
            setup(url, Path(file), int(size), int(items))
        else:
            print(json.dumps(measure(url, Path(file))))
        return
    print(f"load: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")
    print(f"database: {'PostgreSQL' if args.database_url else 'SQLite'}")
    peaks = []
    for size in args.sizes:
        with (
            tempfile.TemporaryDirectory() as folder,
            fresh_database(args.database_url, folder, size) as url,
        ):
            file = Path(folder) / "kid.ocr"
            run_child("--child", "setup", url, str(file), str(size), str(args.items))
            figures = json.loads(
                run_child("--child", "ingest", url, str(file), str(size), str(args.items))
            )
        peaks.append(figures["peak_mb"])
        print(
            f"{size:>7} transactions ({figures['file_mb']:.1f} MB) against {args.items} items: "
            f"{figures['wall']:.2f} s wall, {figures['cpu']:.2f} s CPU; RSS "
            f"{figures['base_mb']:.0f} MB before, {figures['peak_mb']:.0f} MB peak; "
            f"{figures['vouchers']} vouchers, "
            f"{figures['counts']}"
        )
        if size == max(args.sizes):
            met = figures["wall"] < TARGET_SECONDS and figures["peak_mb"] < TARGET_MB
            print(
                f"  target < {TARGET_SECONDS:.0f} s and < {TARGET_MB:.0f} MB: "
                f"{'met' if met else 'NOT met'}"
            )
    if len(peaks) > 1:
        growth = max(peaks) - min(peaks)
        flat = "flat" if growth <= FLAT_MB else "NOT flat"
        print(f"peak RSS grows {growth:.0f} MB from the smallest file to the largest: {flat}")


if __name__ == "__main__":
    main()
