"""Benchmark: importing a supplier ledger and refreshing proposals, at 10k and 100k open items.

Generates a deterministic, realistic ledger export (N open items over N/20 suppliers, as `;` CSV
with decimal commas, valid org numbers, accounts and MOD10 KIDs, plus credit notes, invalid
accounts, duplicate invoice numbers and some EUR/SEK), then, in a fresh child process per size
on a fresh database, times each phase with time.perf_counter:

  parse       reading the files and `read_supplier_rows` + `read_open_item_rows`
  suppliers   `ledger.import_suppliers`
  open_items  `ledger.import_open_items`
  refresh     `proposals.refresh` (payments, their audit events and flags)

and reports the child's peak RSS (ru_maxrss), so every size has its own memory peak, and each
phase's CPU time (ru_utime + ru_stime), which other work on a shared machine disturbs less than
the wall clock. Targets: at 100k a total under 15 s and a peak under 500 MB, refresh under 8 s,
and time(100k)/time(10k) at most 12. Figures only: the exit code is 0 whether a target is met
or not.

  .venv/bin/python bench/ledger_import.py
  .venv/bin/python bench/ledger_import.py --sizes 10000 100000 --seed 7
  .venv/bin/python bench/ledger_import.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
  .venv/bin/python bench/ledger_import.py --sizes 100000 --profile   # cProfile, to stderr

With --postgres the runs use a throwaway database `paybot_bench_<random>` per size, created on
that server and dropped (WITH (FORCE)) afterwards, instead of SQLite in a temp dir.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import json
import os
import pstats
import random
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from stdnum import luhn
from stdnum.no import kontonr, orgnr

from paybot.core.ledger_file import read_open_item_rows, read_supplier_rows
from paybot.services import companies, ledger, proposals
from paybot.store import db
from paybot.store.uow import UnitOfWork

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
COMPANY_ORG_NO = "974760673"
COMPANY_ACCOUNT = "86011117947"
DEFAULT_SIZES = (10_000, 100_000)
DEFAULT_SEED = 20261123
PHASES = ("parse", "suppliers", "open_items", "refresh")
TARGET_SIZE = 100_000
TARGET_SECONDS = 15.0
TARGET_MB = 500.0
TARGET_RATIO_SLACK = 1.2  # 12 for 100k/10k: at most 20 % worse than linear
TARGET_REFRESH_SECONDS = 8.0
ITEM_COLUMNS = (
    "voucher_no",
    "invoice_no",
    "supplier_name",
    "supplier_org_no",
    "account",
    "amount",
    "currency",
    "invoice_date",
    "due_date",
    "reference_type",
    "reference",
)
BANK_PREFIXES = ("1503", "1506", "1207", "3000", "6011", "9710", "1254", "1644", "3201", "2801")
NAME_FIRST = (
    "Nordic", "Fjord", "Bergen", "Vestland", "Østlandet", "Trøndelag", "Aker", "Solberg",
    "Hagen", "Lillehammer", "Bjørk", "Havbris", "Nordlys", "Skog", "Fjell", "Kyst", "Bryggen",
    "Sørlandet", "Viken", "Ålesund", "Tromsø", "Stavanger", "Drammen", "Møre", "Polar",
)  # fmt: skip
NAME_SECOND = (
    "Rør", "Elektro", "Bygg", "Transport", "Regnskap", "Kontor", "Data", "Maskin", "Renhold",
    "Catering", "Trykk", "Sikkerhet", "Vekst", "Eiendom", "Verksted", "Frakt", "Glass",
    "Maling", "Ventilasjon", "Konsult", "Papir", "Energi", "Anlegg", "Tre", "Stål",
)  # fmt: skip
NAME_THIRD = ("", " & Sønn", " og Co", " Service", " Partner", " Gruppen", " Norge", " Vest")
NAME_SUFFIX = ("AS", "AS", "AS", "AS", "ASA", "ENK", "DA", "SA")


# ---------------------------------------------------------------- generating the ledger files


@dataclass(frozen=True)
class FakeSupplier:
    name: str
    org_no: str
    account: str
    listed: bool  # in the suppliers file; the others are first met in the open items


def _with_check_digit(
    rng: random.Random, prefix: str, length: int, valid: Callable[[str], bool]
) -> str:
    """A random number of `length` digits starting with `prefix`, last digit made valid."""
    while True:
        body = prefix + "".join(rng.choices("0123456789", k=length - len(prefix) - 1))
        for digit in "0123456789":
            if valid(body + digit):
                return body + digit


def _invalid_account(account: str) -> str:
    """The same account with a wrong check digit."""
    for digit in "0123456789":
        candidate = account[:-1] + digit
        if not kontonr.is_valid(candidate):
            return candidate
    raise AssertionError(account)


def _supplier_name(rng: random.Random, seen: set[str], index: int) -> str:
    name = (
        f"{rng.choice(NAME_FIRST)} {rng.choice(NAME_SECOND)}{rng.choice(NAME_THIRD)} "
        f"{rng.choice(NAME_SUFFIX)}"
    )
    if name in seen:
        name = f"{name[: name.rindex(' ')]} {index} {name[name.rindex(' ') + 1 :]}"
    seen.add(name)
    return name


def make_suppliers(rng: random.Random, count: int) -> list[FakeSupplier]:
    """`count` suppliers with unique names, org numbers and accounts; ~2 % not in the file."""
    names: set[str] = set()
    org_nos: set[str] = set()
    suppliers: list[FakeSupplier] = []
    for index in range(count):
        org_no = _with_check_digit(rng, rng.choice("89"), 9, orgnr.is_valid)
        while org_no in org_nos:
            org_no = _with_check_digit(rng, rng.choice("89"), 9, orgnr.is_valid)
        org_nos.add(org_no)
        account = _with_check_digit(rng, rng.choice(BANK_PREFIXES), 11, kontonr.is_valid)
        name = _supplier_name(rng, names, index)
        suppliers.append(FakeSupplier(name, org_no, account, listed=rng.random() >= 0.02))
    return suppliers


def _amount_text(rng: random.Random, credit: bool) -> str:
    """Decimal comma; about half of the larger amounts grouped with spaces (`12 345,60`)."""
    value = min(round(rng.lognormvariate(8.0, 1.3), 2), 4_999_999.99)
    text = f"{value:,.2f}" if rng.random() < 0.5 else f"{value:.2f}"
    text = text.replace(",", " ").replace(".", ",")
    return f"-{text}" if credit else text


def _reference(rng: random.Random, invoice_no: str, credit: bool) -> tuple[str, str]:
    """(reference_type, reference): ~90 % KID overall, messages, bare invoice refs, a few none."""
    if credit:
        return "message", f"Kreditnota til faktura {invoice_no}"
    draw = rng.random()
    if draw < 0.93:
        body = "".join(rng.choices("0123456789", k=rng.randint(6, 14)))
        return "kid", body + luhn.calc_check_digit(body)
    if draw < 0.975:
        return "message", f"Faktura {invoice_no}"
    if draw < 0.995:
        return "invoice", ""
    return "empty", ""


def _invoice_no(rng: random.Random, supplier: FakeSupplier, last: dict[str, str]) -> str:
    """Usually a new number; ~0.2 % repeat the supplier's previous one (a double booking)."""
    previous = last.get(supplier.org_no)
    if previous is not None and rng.random() < 0.002:
        return previous
    number = str(rng.randint(10_000, 9_999_999))
    last[supplier.org_no] = number
    return number


def _currency(rng: random.Random) -> str:
    draw = rng.random()
    return "EUR" if draw < 0.015 else "SEK" if draw < 0.025 else "NOK"


def item_row(
    rng: random.Random, voucher: int, supplier: FakeSupplier, last: dict[str, str]
) -> list[str]:
    credit = rng.random() < 0.03
    invoice_no = _invoice_no(rng, supplier, last)
    account = _invalid_account(supplier.account) if rng.random() < 0.01 else supplier.account
    invoice_date = NOW.date() - timedelta(days=rng.randint(0, 60))
    due_date = invoice_date + timedelta(days=rng.choice((10, 14, 14, 20, 30, 30, 30)))
    reference_type, reference = _reference(rng, invoice_no, credit)
    return [
        str(voucher),
        invoice_no,
        supplier.name,
        supplier.org_no,
        kontonr.format(account) if rng.random() < 0.2 else account,
        _amount_text(rng, credit),
        _currency(rng),
        _date_text(invoice_date),
        _date_text(due_date),
        reference_type,
        reference,
    ]


def _date_text(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def write_ledger(directory: Path, size: int, seed: int) -> tuple[Path, Path]:
    """suppliers.csv and open_items.csv for `size` items over size/20 suppliers (UTF-8, BOM)."""
    rng = random.Random(seed)
    suppliers = make_suppliers(rng, max(1, size // 20))
    # A few suppliers carry many invoices, most carry a handful (Zipf-like weights).
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(suppliers))]
    chosen = rng.choices(suppliers, weights=weights, k=size)
    supplier_file, item_file = directory / "suppliers.csv", directory / "open_items.csv"
    with supplier_file.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(("name", "org_no", "account"))
        writer.writerows(
            (s.name, s.org_no, kontonr.format(s.account)) for s in suppliers if s.listed
        )
    last: dict[str, str] = {}
    with item_file.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(ITEM_COLUMNS)
        writer.writerows(
            item_row(rng, 300_000 + n, supplier, last) for n, supplier in enumerate(chosen)
        )
    return supplier_file, item_file


# ---------------------------------------------------------------- one run, in a child process


def _peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes vs KiB


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _fresh_company(url: str) -> UnitOfWork:
    """A migrated database with the benchmark's company; setup, so not timed."""
    engine = db.make_engine(url)
    db.upgrade(engine)
    uow = UnitOfWork(engine)
    companies.add_company(
        uow, org_no=COMPANY_ORG_NO, name="Bench AS", account=COMPANY_ACCOUNT, bank="DNB", now=NOW
    )
    return uow


def _steps(uow: UnitOfWork, data_dir: Path, rows: dict[str, Any]) -> dict[str, Callable[[], Any]]:
    """The phases as calls; parse leaves its rows in `rows` for the imports."""
    supplier_file, item_file = data_dir / "suppliers.csv", data_dir / "open_items.csv"

    def parse() -> None:
        rows["suppliers"] = read_supplier_rows(str(supplier_file), supplier_file.read_bytes())
        rows["items"] = read_open_item_rows(str(item_file), item_file.read_bytes())

    def suppliers() -> Any:
        return ledger.import_suppliers(
            uow, company_org_no=COMPANY_ORG_NO, source="s.csv", rows=rows["suppliers"], now=NOW
        )

    def open_items() -> Any:
        return ledger.import_open_items(
            uow, company_org_no=COMPANY_ORG_NO, source="i.csv", rows=rows["items"], now=NOW
        )

    def refresh() -> Any:
        return proposals.refresh(uow, company_org_no=COMPANY_ORG_NO, now=NOW)

    return {"parse": parse, "suppliers": suppliers, "open_items": open_items, "refresh": refresh}


def run_phases(url: str, data_dir: Path, profiler: cProfile.Profile | None) -> dict[str, Any]:
    """Runs the four phases on a fresh company; seconds and peak RSS after each phase."""
    uow = _fresh_company(url)
    result: dict[str, Any] = {"seconds": {}, "cpu": {}, "peak_mb": {}, "baseline_mb": _peak_mb()}
    rows: dict[str, Any] = {}
    outcome: dict[str, Any] = {}
    steps = _steps(uow, data_dir, rows)
    for phase in PHASES:
        cpu, start = _cpu_s(), time.perf_counter()
        if profiler is not None:
            profiler.enable()
        outcome[phase] = steps[phase]()
        if profiler is not None:
            profiler.disable()
        result["seconds"][phase] = time.perf_counter() - start
        result["cpu"][phase] = _cpu_s() - cpu
        result["peak_mb"][phase] = _peak_mb()
    refreshed = outcome["refresh"]
    result["summary"] = {
        "supplier_rows": len(rows["suppliers"]),
        "item_rows": len(rows["items"]),
        "suppliers_from_items": outcome["open_items"].new_suppliers,
        "payments": refreshed.created,
        "flags": {flag.value: count for flag, count in refreshed.flags.items()},
    }
    return result


def child_main(size: int, url: str, data_dir: Path, profile: bool) -> None:
    profiler = cProfile.Profile() if profile else None
    result = run_phases(url, data_dir, profiler)
    result["size"] = size
    if profiler is not None:
        print(f"--- cProfile, {size} items, top 25 by own time ---", file=sys.stderr)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
        print(f"--- cProfile, {size} items, top 25 by cumulative ---", file=sys.stderr)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    print(json.dumps(result))


# ---------------------------------------------------------------- the parent: sizes, table, targets


@contextmanager
def sqlite_database(directory: Path) -> Iterator[str]:
    yield f"sqlite:///{directory / 'bench.db'}"


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A throwaway database on the server of `admin_url`, dropped afterwards whatever happens."""
    url = make_url(admin_url)
    name = f"paybot_bench_{secrets.token_hex(4)}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def run_size(size: int, seed: int, postgres: str | None, profile: bool) -> dict[str, Any]:
    """Generates the files, then measures one fresh child process on one fresh database."""
    with tempfile.TemporaryDirectory(prefix="paybot-bench-") as tmp:
        directory = Path(tmp)
        start = time.perf_counter()
        write_ledger(directory, size, seed)
        generated = time.perf_counter() - start
        database = postgres_database(postgres) if postgres else sqlite_database(directory)
        with database as url:
            command = [sys.executable, __file__, "--child-size", str(size)]
            command += ["--url", url, "--data-dir", tmp] + (["--profile"] if profile else [])
            child = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    result["generated_seconds"] = generated
    return result


def _total(result: dict[str, Any]) -> float:
    return float(sum(result["seconds"].values()))


def print_table(results: list[dict[str, Any]]) -> None:
    header = f"{'items':>8} " + " ".join(f"{p:>10}" for p in PHASES)
    print(header + f" {'total s':>9} {'peak MB':>8} {'base MB':>8}")
    for r in results:
        phases = " ".join(f"{r['seconds'][p]:>10.2f}" for p in PHASES)
        print(
            f"{r['size']:>8} {phases} {_total(r):>9.2f} "
            f"{r['peak_mb']['refresh']:>8.0f} {r['baseline_mb']:>8.0f}"
        )
    print("\nCPU seconds per phase (refresh per item in µs):")
    for r in results:
        cpu = " ".join(f"{r['cpu'][p]:>10.2f}" for p in PHASES)
        print(f"{r['size']:>8} {cpu}   {r['cpu']['refresh'] / r['size'] * 1e6:>6.1f} µs/item")
    print("\npeak RSS (MB) after each phase:")
    for r in results:
        print(f"{r['size']:>8} " + " ".join(f"{r['peak_mb'][p]:>10.0f}" for p in PHASES))
    print("\nwhat was imported:")
    for r in results:
        s = r["summary"]
        print(
            f"{r['size']:>8}  {s['supplier_rows']} supplier rows, {s['item_rows']} item rows, "
            f"{s['suppliers_from_items']} suppliers first met in items, {s['payments']} "
            f"payments, flags {s['flags']} (files generated in {r['generated_seconds']:.1f} s)"
        )


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_targets(results: list[dict[str, Any]]) -> None:
    by_size = {r["size"]: r for r in results}
    print("\ntargets:")
    target = by_size.get(TARGET_SIZE)
    if target is None:
        print(f"  total and memory at {TARGET_SIZE}: n/a (size not run)")
    else:
        total, peak = _total(target), target["peak_mb"]["refresh"]
        print(f"  total at {TARGET_SIZE}: {total:.2f} s < {TARGET_SECONDS:.0f} s  "
              f"{_verdict(total < TARGET_SECONDS)}")  # fmt: skip
        print(f"  peak RSS at {TARGET_SIZE}: {peak:.0f} MB < {TARGET_MB:.0f} MB  "
              f"{_verdict(peak < TARGET_MB)}")  # fmt: skip
        refresh = target["seconds"]["refresh"]
        print(f"  refresh at {TARGET_SIZE}: {refresh:.2f} s < {TARGET_REFRESH_SECONDS:.0f} s  "
              f"{_verdict(refresh < TARGET_REFRESH_SECONDS)}")  # fmt: skip
    if len(by_size) < 2:
        print("  scaling: n/a (needs two sizes)")
        return
    small, large = by_size[min(by_size)], by_size[max(by_size)]
    ratio = _total(large) / _total(small)
    limit = TARGET_RATIO_SLACK * large["size"] / small["size"]
    print(f"  time({large['size']})/time({small['size']}): {ratio:.1f} <= {limit:.0f}  "
          f"{_verdict(ratio <= limit)}")  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--postgres", metavar="URL", help="run on a throwaway PostgreSQL db")
    parser.add_argument("--profile", action="store_true", help="cProfile each run (to stderr)")
    parser.add_argument("--child-size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child_size is not None:
        child_main(args.child_size, args.url, args.data_dir, args.profile)
        return 0
    backend = "PostgreSQL (throwaway database)" if args.postgres else "SQLite (temp dir)"
    print(f"paybot ledger import benchmark on {backend}, seed {args.seed}")
    print(f"python {sys.version.split()[0]}, {sys.platform}\n")
    load = os.getloadavg()[0]
    results = [run_size(size, args.seed, args.postgres, args.profile) for size in args.sizes]
    print(
        f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, on "
        f"{os.cpu_count()} CPUs (wall-clock figures: other work on the machine slows them)\n"
    )
    print("seconds per phase:")
    print_table(results)
    print_targets(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
