"""Benchmark: importing a folder of EHF invoices with full validation.

Makes N EHF invoices (1,000 by default) from the Norwegian BIS Billing 3.0 example in
../shared/fixtures/samples/ehf (each with its own invoice number and KID, so each is a new
invoice; from 50 suppliers by default, each with its own organisation number), then imports
the folder as `paybot import ehf` does (the UBL 2.1 schema, the EN 16931 and PEPPOL rules, the
reading, one transaction per file, a proposal per invoice) into a fresh SQLite database (or
PostgreSQL with --postgres), and prints:

  compile      building the validator's schemas and rules (once per process)
  per invoice  mean and 95th percentile wall time per file after that, and CPU time per file
  memory       peak RSS, and RSS after the first tenth of the files and at the end (flat:
               no more at the end)

Target (issue 15): under 50 ms per invoice after the rules are compiled once, flat memory.
Figures only: the exit code is 0 whether the target is met or not.

  .venv/bin/python bench/ehf_import.py
  .venv/bin/python bench/ehf_import.py --count 200 --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import resource
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from stdnum import luhn
from stdnum.no import orgnr

from paybot.core.ehf import EhfValidator
from paybot.services import companies
from paybot.services.ehf_inbox import import_files
from paybot.store import db
from paybot.store.uow import UnitOfWork

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
SAMPLE = FIXTURES / "samples" / "ehf" / "peppol_no_example1_invoice_nok_kid_iban.xml"
BUYER = "987654325"
SELLER = b"123456785"  # the sample seller's organisation number, made one of `--sellers`
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# The document's own number (the first cbc:ID after the profile) and its KID.
NUMBER = re.compile(rb"(</cbc:ProfileID>\s*<cbc:ID>)[^<]+(</cbc:ID>)")
KID = re.compile(rb"(<cbc:PaymentID>)[^<]+(</cbc:PaymentID>)")


def rss_mb() -> float:
    """The process's resident size now (Linux), in MB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def make_invoices(folder: Path, count: int, sellers: int) -> None:
    template = SAMPLE.read_bytes()
    # The first valid organisation numbers from 900000000 on (MOD11: some bodies have none).
    candidates = (f"9{n:08d}" for n in range(10**8))
    valid = list(itertools.islice((n for n in candidates if orgnr.is_valid(n)), sellers))
    for n in range(count):
        kid = luhn.calc_check_digit(f"{n + 1:09d}")
        seller = template.replace(SELLER, valid[n % len(valid)].encode())
        data = NUMBER.sub(rb"\g<1>" + f"BENCH-{n + 1:05d}".encode() + rb"\g<2>", seller, 1)
        data = KID.sub(rb"\g<1>" + f"{n + 1:09d}{kid}".encode() + rb"\g<2>", data, 1)
        (folder / f"invoice-{n + 1:05d}.xml").write_bytes(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--sellers", type=int, default=50, help="suppliers the invoices are from")
    parser.add_argument("--postgres", help="a PostgreSQL URL (a throwaway database is made)")
    parser.add_argument("--ubl", type=Path, default=FIXTURES / "ubl21", help="UBL 2.1 xsd folder")
    args = parser.parse_args()
    if not SAMPLE.exists() or not args.ubl.exists():
        sys.exit(f"needs {SAMPLE} and the UBL 2.1 schemas in {args.ubl}")

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "ehf"
        folder.mkdir()
        make_invoices(folder, args.count, args.sellers)
        url, drop = database(args.postgres, Path(tmp))
        try:
            engine = db.make_engine(url)
            db.upgrade(engine)
            uow = UnitOfWork(engine)
            companies.add_company(
                uow, org_no=BUYER, name="Buyer AS", account="15032080119", bank="DNB", now=NOW
            )
            run(uow, folder, args)
            engine.dispose()
        finally:
            drop()


def run(uow: UnitOfWork, folder: Path, args: argparse.Namespace) -> None:
    print(
        f"{args.count} EHF invoices from {args.sellers} suppliers, "
        f"{'PostgreSQL' if args.postgres else 'SQLite'}"
    )
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPU(s)")
    started = time.perf_counter()
    validator = EhfValidator(args.ubl)
    validator.validate(SAMPLE.name, SAMPLE.read_bytes())  # compiles what is compiled lazily
    print(f"compile      {time.perf_counter() - started:.2f} s")

    files = sorted(folder.iterdir())
    walls: list[float] = []
    tenth = max(1, len(files) // 10)
    rss_first = rss_last = 0.0
    cpu_start = time.process_time()
    outcomes: dict[str, int] = {}
    last = time.perf_counter()
    for n, outcome in enumerate(import_files(uow, validator, files, now=NOW, company_org_no=BUYER)):
        now = time.perf_counter()
        walls.append(now - last)
        last = now
        outcomes[outcome.outcome] = outcomes.get(outcome.outcome, 0) + 1
        if n + 1 == tenth:
            rss_first = rss_mb()
    rss_last = rss_mb()
    cpu = time.process_time() - cpu_start
    mean = statistics.fmean(walls)
    p95 = statistics.quantiles(walls, n=20)[-1] if len(walls) >= 20 else max(walls)
    verdict = "ok" if mean < 0.050 else "MISSED"
    print(f"outcomes     {outcomes}")
    print(
        f"per invoice  mean {mean * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
        f"cpu {cpu / len(files) * 1000:.1f} ms (target 50 ms: {verdict})"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000
    print(
        f"memory       peak {peak:.0f} MB; after the first tenth {rss_first:.0f} MB, "
        f"at the end {rss_last:.0f} MB"
    )


def database(postgres: str | None, tmp: Path) -> tuple[str, Callable[[], None]]:
    """The database URL and how to drop it afterwards."""
    if postgres is None:
        return f"sqlite:///{tmp / 'bench.db'}", lambda: None
    name = f"paybot_bench_{secrets.token_hex(4)}"
    server = create_engine(postgres, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with server.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with server.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return make_url(postgres).set(database=name).render_as_string(hide_password=False), drop


if __name__ == "__main__":
    main()
