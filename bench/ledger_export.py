"""Benchmark: exporting the ledger (SAF-T Financial 1.30, CSV, JSON) at 10k and 100k vouchers.

Vouchers are generated deterministically and never held in a list: a generator makes them as
the writer asks (one per paid supplier payment, two lines; a tenth in EUR or SEK with a currency
difference line, three lines; incoming KID payments against customers; and one batch voucher in
fifty with 5-30 supplier lines), over N/20 suppliers and N/10 customers, as a database cursor
would hand them over. Every (format, size) runs in its own fresh child process, which times:

  generate  iterating the generator alone (what the writer's figure includes but does not cost)
  summary   the first pass: `balance.summarize` (and, for SAF-T, `saft.parties_of`), which in
            paybot a SQL aggregate may replace
  write     the streaming writer, to a file in a temp dir

each with the wall clock (time.perf_counter) and CPU time (ru_utime + ru_stime), which other work
on a shared machine disturbs less; and the child's peak RSS (ru_maxrss) after the imports (base)
and after everything (peak). Target: flat memory, i.e. peak RSS at the largest size at most
10 MB above the smallest, for every format. (What SAF-T keeps grows with the master data, not
with the vouchers: the parties listed in MasterFiles, N/20 suppliers and N/10 customers here, and
their ids to check the lines against.) With --validate (default for sizes up to 10,000)
the SAF-T file is then validated against the official XSD, after the peak was read: validation
builds the whole tree.

  .venv/bin/python bench/ledger_export.py
  .venv/bin/python bench/ledger_export.py --sizes 10000 100000 --formats saft csv
  .venv/bin/python bench/ledger_export.py --sizes 100000 --formats saft --validate all

With --store the same vouchers go through paybot instead: a fresh database per size (SQLite, or
a new database on the PostgreSQL server of --database-url, dropped afterwards) gets a company
and the vouchers (the store's bulk writes, not timed), and a fresh child process times
`services.ledger_out.export` of the year to a file, as `paybot ledger export` runs it: reading
the vouchers from the store (a chunk at a time, through a server-side cursor on PostgreSQL),
and for SAF-T the opening balances and its first pass, then the writer. Its peak RSS is the
figure that says whether the export streams (the target: at most 10 MB more at the largest
size than at the smallest).

  .venv/bin/python bench/ledger_export.py --store --sizes 10000 100000
  .venv/bin/python bench/ledger_export.py --store --database-url \
      postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Figures only: the exit code is 0 whether the target is met or not.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

DEFAULT_SIZES = (10_000, 100_000)
FORMATS = ("saft", "csv", "json")
DEFAULT_SEED = 20260402
ORG_NO = "974760673"
YEAR = 2026
FLAT_MB = 10.0
VALIDATE_UP_TO = 10_000
XSD = (
    Path(__file__).resolve().parents[2]
    / "shared/fixtures/saft/Norwegian_SAF-T_Financial_Schema_v_1.30.xsd"
)
NAMES = (
    "Nordic", "Fjord", "Bergen", "Vestland", "Østlandet", "Trøndelag", "Aker", "Solberg",
    "Hagen", "Bjørk", "Havbris", "Nordlys", "Skog", "Fjell", "Kyst", "Bryggen", "Sørlandet",
)  # fmt: skip
TRADES = ("Rør", "Elektro", "Bygg", "Transport", "Regnskap", "Kontor", "Data", "Maskin", "Frakt")


# ---------------------------------------------------------------- vouchers, made as they are asked


def _parties(kind: str, count: int, rng: random.Random) -> list[Any]:
    from paybot.core.vouchers import Party

    parties = []
    for index in range(count):
        name = f"{rng.choice(NAMES)} {rng.choice(TRADES)} {index} AS"
        if kind == "customer" and index % 3 == 0:  # private customers have no org number
            parties.append(Party(kind, f"Kunde {index} & Sønn", key=f"K{index}"))
        else:
            parties.append(Party(kind, name, org_no=str(800_000_000 + index * 7)))
    return parties


def iter_vouchers(size: int, seed: int) -> Iterator[Any]:
    """`size` balanced vouchers over one year, numbered 1..size, the same for the same seed."""
    from paybot.core.vouchers import Voucher, VoucherLine

    rng = random.Random(seed)
    suppliers = _parties("supplier", max(1, size // 20), rng)
    customers = _parties("customer", max(1, size // 10), rng)
    zero = Decimal("0.00")
    start = date(YEAR, 1, 1)
    for number in range(1, size + 1):
        day = start + timedelta(days=(number * 365) // (size + 1))
        amount = Decimal(rng.randint(100, 25_000_000)).scaleb(-2)
        kind = rng.random()
        lines: list[VoucherLine]
        if kind < 0.02:  # a batch posted as one voucher
            count = rng.randint(5, 30)
            lines = []
            total = zero
            for index in range(count):
                part = Decimal(rng.randint(100, 2_000_000)).scaleb(-2)
                total += part
                lines.append(
                    VoucherLine("2400", part, zero, "NOK", part, f"Faktura {number}-{index}",
                                rng.choice(suppliers))
                )  # fmt: skip
            lines.append(VoucherLine("1920", zero, total, "NOK", total, "Utbetaling bunt"))
            text = f"Bunt {number}"
        elif kind < 0.12:  # foreign currency, booked at one rate and paid at another
            currency = rng.choice(("EUR", "SEK"))
            foreign = Decimal(rng.randint(100, 2_000_000)).scaleb(-2)
            booked = (foreign * Decimal("11.52")).quantize(Decimal("0.01"))
            paid = (foreign * Decimal("11.61")).quantize(Decimal("0.01"))
            lines = [
                VoucherLine("2400", booked, zero, currency, foreign, f"Invoice {number}",
                            rng.choice(suppliers)),
                VoucherLine("8160", paid - booked, zero, "NOK", paid - booked, "Disagio"),
                VoucherLine("1920", zero, paid, currency, foreign, "Utbetaling"),
            ]  # fmt: skip
            text = f"Betaling {currency} {number}"
        elif kind < 0.40:  # an incoming KID payment
            lines = [
                VoucherLine("1920", amount, zero, "NOK", amount, f"KID {number:010d}"),
                VoucherLine("1500", zero, amount, "NOK", amount, "Innbetaling",
                            rng.choice(customers)),
            ]  # fmt: skip
            text = f"Innbetaling {number}"
        else:
            lines = [
                VoucherLine("2400", amount, zero, "NOK", amount, f"Faktura {number}",
                            rng.choice(suppliers)),
                VoucherLine("1920", zero, amount, "NOK", amount, "Utbetaling"),
            ]  # fmt: skip
            text = f"Betaling faktura {number}"
        yield Voucher(ORG_NO, number, day, text, tuple(lines))


# ---------------------------------------------------------------- measurements, in a child


def _peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes vs KiB


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(call: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), _cpu_s()
    result = call()
    return result, time.perf_counter() - wall, _cpu_s() - cpu


def measure(fmt: str, size: int, seed: int, directory: Path, xsd: Path | None) -> dict[str, Any]:
    from paybot.core.ledgerfiles import balance, csv_export, json_export, saft

    base_mb = _peak_mb()
    result: dict[str, Any] = {"format": fmt, "size": size, "base_mb": base_mb}
    _, result["generate_s"], result["generate_cpu_s"] = _timed(
        lambda: sum(1 for _ in iter_vouchers(size, seed))
    )

    def first_pass() -> tuple[Any, list[Any]]:
        summary = balance.summarize(iter_vouchers(size, seed))
        parties = saft.parties_of(iter_vouchers(size, seed)) if fmt == "saft" else []
        return summary, parties

    (summary, parties), result["summary_s"], result["summary_cpu_s"] = _timed(first_pass)
    path = directory / f"ledger-{size}.{'xml' if fmt == 'saft' else fmt}"

    def write() -> Any:
        with path.open("wb") as out:
            vouchers = iter_vouchers(size, seed)
            if fmt == "csv":
                return csv_export.write_csv(vouchers, out)
            if fmt == "json":
                return json_export.write_json(vouchers, out)
            company = saft.SaftCompany(
                ORG_NO, "Bench Rør & Sønn AS", "NOK", saft.Contact("Kari", "Nordmann", "22334455")
            )
            return saft.write_saft(
                out,
                company=company,
                period=saft.Period(date(YEAR, 1, 1), date(YEAR, 12, 31)),
                accounts=[saft.SaftAccount("1920", Decimal("1000000.00"))],
                parties=parties,
                summary=summary,
                vouchers=vouchers,
                created=date(YEAR + 1, 1, 15),
                software_version="bench",
            )

    written, result["write_s"], result["write_cpu_s"] = _timed(write)
    result["peak_mb"] = _peak_mb()
    result["lines"] = written.lines
    result["file_mb"] = path.stat().st_size / 2**20
    if fmt == "saft" and xsd is not None:
        from lxml import etree

        schema = etree.XMLSchema(etree.parse(str(xsd)))
        result["valid"] = schema.validate(etree.parse(str(path)))
        if not result["valid"]:
            result["invalid"] = str(schema.error_log.last_error)
    path.unlink()
    return result


def child_main(args: argparse.Namespace) -> None:
    xsd = Path(args.xsd) if args.xsd else None
    print(json.dumps(measure(args.child, args.size, args.seed, Path(args.data_dir), xsd)))


# ---------------------------------------------------------------- through the store and the service


def seed(url: str, size: int, seed_: int) -> None:
    """A company and `size` vouchers (iter_vouchers') in the database at `url`, in one
    transaction per 10,000 through the incoming store's bulk writes (numbers from the series)."""
    from itertools import islice

    from paybot.core.posting import VoucherRef
    from paybot.services import companies
    from paybot.store import db
    from paybot.store.incoming import NewVoucher
    from paybot.store.uow import UnitOfWork

    engine = db.make_engine(url)
    db.upgrade(engine)
    uow = UnitOfWork(engine)
    now = datetime(YEAR + 1, 1, 15, 9, tzinfo=UTC)
    company = companies.add_company(
        uow, org_no=ORG_NO, name="Bench Rør & Sønn AS", account="86011117947", now=now
    )
    vouchers = iter_vouchers(size, seed_)
    while batch := list(islice(vouchers, 10_000)):
        with uow:
            first = uow.postings.take_numbers(company.id, YEAR, len(batch))
            new = [
                NewVoucher(VoucherRef(YEAR, first + n), v.day, v.text, tuple(v.lines))
                for n, v in enumerate(batch)
            ]
            uow.incoming.add_vouchers(
                company.id, new, posted_by_id=None, posted_by="bench", now=now
            )
            uow.commit()
    engine.dispose()


def measure_store(fmt: str, url: str, directory: Path, xsd: Path | None) -> dict[str, Any]:
    """`services.ledger_out.export` of the year to a file: wall, CPU and peak RSS."""
    from paybot.services import ledger_out
    from paybot.store import db
    from paybot.store.uow import UnitOfWork

    engine = db.make_engine(url)
    uow = UnitOfWork(engine)
    with uow:  # connect and load the repositories before timing
        uow.postings  # noqa: B018
    base_mb = _peak_mb()
    path = directory / f"ledger-store.{'xml' if fmt == 'saft' else fmt}"

    def export() -> Any:
        with path.open("wb") as out:
            return ledger_out.export(
                uow,
                company_org_no=ORG_NO,
                day_from=date(YEAR, 1, 1),
                day_to=date(YEAR, 12, 31),
                kind=ledger_out.LedgerFormat(fmt),
                out=out,
                now=datetime(YEAR + 1, 1, 15, 9, tzinfo=UTC),
                contact=ledger_out.ContactPerson("Kari Nordmann", "22334455"),
            )

    done, write_s, write_cpu_s = _timed(export)
    result: dict[str, Any] = {
        "format": fmt,
        "size": done.summary.entries,
        "lines": done.summary.lines,
        "generate_cpu_s": 0.0,
        "summary_cpu_s": 0.0,
        "write_s": write_s,
        "write_cpu_s": write_cpu_s,
        "base_mb": base_mb,
        "peak_mb": _peak_mb(),
        "file_mb": path.stat().st_size / 2**20,
    }
    if fmt == "saft" and xsd is not None:
        from lxml import etree

        schema = etree.XMLSchema(etree.parse(str(xsd)))
        result["valid"] = schema.validate(etree.parse(str(path)))
    path.unlink()
    engine.dispose()
    return result


@contextmanager
def fresh_database(server_url: str | None, directory: Path, size: int) -> Iterator[str]:
    """A new empty database: a SQLite file in `directory`, or a database made on the
    PostgreSQL server of `server_url` and dropped afterwards."""
    if server_url is None:
        yield f"sqlite:///{directory}/ledger-{size}.db"
        return
    from sqlalchemy import create_engine, make_url, text

    admin_url = make_url(server_url)
    name = f"paybot_bench_ledger_{os.getpid()}_{size}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run_store(
    formats: list[str], sizes: list[int], seed_: int, server_url: str | None, xsd: Path | None
) -> list[dict[str, Any]]:
    results = []
    with tempfile.TemporaryDirectory(prefix="paybot-ledger-export-") as directory:
        for size in sizes:
            with fresh_database(server_url, Path(directory), size) as url:
                command = [sys.executable, __file__, "--child-seed", url, "--size", str(size)]
                subprocess.run(command + ["--seed", str(seed_)], check=True)
                for fmt in formats:
                    check = xsd if size <= VALIDATE_UP_TO else None
                    command = [sys.executable, __file__, "--child-store", fmt, "--url", url]
                    command += ["--data-dir", directory, "--xsd", str(check or "")]
                    child = subprocess.run(command, capture_output=True, text=True)
                    if child.returncode != 0 or not child.stdout.strip():
                        sys.stderr.write(child.stderr)
                        last = (child.stderr.strip().splitlines() or ["failed"])[-1]
                        result: dict[str, Any] = {"error": last, "format": fmt, "size": size}
                    else:
                        result = json.loads(child.stdout.strip().splitlines()[-1])
                    results.append(result)
                    print(_row(result), flush=True)
    return results


# ---------------------------------------------------------------- the parent: runs and the table


def run_child(fmt: str, size: int, seed: int, directory: Path, xsd: Path | None) -> dict[str, Any]:
    """One measurement in a fresh process (the parent stays small: a child's ru_maxrss starts
    at the parent's high-water mark); {"error": ...} if it failed."""
    command = [sys.executable, __file__, "--child", fmt, "--size", str(size)]
    command += ["--seed", str(seed), "--data-dir", str(directory)]
    command += ["--xsd", str(xsd) if xsd is not None else ""]
    child = subprocess.run(command, capture_output=True, text=True)
    if child.returncode != 0 or not child.stdout.strip():
        sys.stderr.write(child.stderr)
        lines = child.stderr.strip().splitlines() or [f"exit code {child.returncode}"]
        return {"error": lines[-1], "format": fmt, "size": size}
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def _row(r: dict[str, Any]) -> str:
    if "error" in r:
        return f"{r['format']:<5} {r['size']:>8,}  failed: {r['error']}"
    valid = "-" if "valid" not in r else "valid" if r["valid"] else "INVALID"
    return (
        f"{r['format']:<5} {r['size']:>8,} {r['lines']:>9,} {r['generate_cpu_s']:>8.2f}"
        f" {r['summary_cpu_s']:>8.2f} {r['write_s']:>8.2f} {r['write_cpu_s']:>8.2f}"
        f" {r['base_mb']:>7.1f} {r['peak_mb']:>7.1f} {r['file_mb']:>8.1f}  {valid}"
    )


def run_generated(args: argparse.Namespace, xsd: Path | None) -> list[dict[str, Any]]:
    results = []
    with tempfile.TemporaryDirectory(prefix="paybot-ledger-export-") as directory:
        for fmt in args.formats:
            for size in sorted(args.sizes):
                check = args.validate == "all" or (
                    args.validate == "small" and size <= VALIDATE_UP_TO
                )
                result = run_child(fmt, size, args.seed, Path(directory), xsd if check else None)
                results.append(result)
                print(_row(result), flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--xsd", default=str(XSD), help="the SAF-T 1.30 XSD ('' for none)")
    parser.add_argument(
        "--validate",
        choices=("small", "all", "none"),
        default="small",
        help=f"validate the SAF-T files up to {VALIDATE_UP_TO:,} vouchers, all or none",
    )
    parser.add_argument(
        "--store", action="store_true", help="through the database and the export use case"
    )
    parser.add_argument(
        "--database-url",
        help="with --store: a PostgreSQL server (a fresh database is made on it per size); "
        "default: a SQLite file per size",
    )
    parser.add_argument("--child", choices=FORMATS, help=argparse.SUPPRESS)
    parser.add_argument("--child-seed", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--child-store", choices=FORMATS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return
    if args.child_seed:
        seed(args.child_seed, args.size, args.seed)
        return
    if args.child_store:
        xsd_path = Path(args.xsd) if args.xsd else None
        found = measure_store(args.child_store, args.url, Path(args.data_dir), xsd_path)
        print(json.dumps(found))
        return

    xsd = Path(args.xsd) if args.xsd and Path(args.xsd).exists() else None
    if xsd is None and args.validate != "none":
        print(f"(no XSD at {args.xsd!r}: SAF-T files are not validated)")
    print(f"load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min)")
    print("fmt   vouchers     lines  gen cpu  sum cpu  write s  wr. cpu  base MB  peak MB  file MB")
    if args.store:
        where = "PostgreSQL" if args.database_url else "SQLite"
        print(f"(through the store, {where}: write = services.ledger_out.export, all of it)")
        results = run_store(args.formats, sorted(args.sizes), args.seed, args.database_url, xsd)
    else:
        results = run_generated(args, xsd)
    print(f"load after:  {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} (1, 5 min)")
    sizes = sorted(args.sizes)
    if len(sizes) > 1:
        for fmt in args.formats:
            runs = {r["size"]: r for r in results if r["format"] == fmt and "error" not in r}
            if sizes[0] in runs and sizes[-1] in runs:
                growth = runs[sizes[-1]]["peak_mb"] - runs[sizes[0]]["peak_mb"]
                verdict = "flat" if growth <= FLAT_MB else "NOT flat"
                print(
                    f"{fmt}: peak RSS {growth:+.1f} MB from {sizes[0]:,} to {sizes[-1]:,}"
                    f" vouchers ({verdict}; target at most +{FLAT_MB:.0f} MB)"
                )


if __name__ == "__main__":
    main()
