"""Benchmark: writing, validating and reading bank files, at 10k and 100k payments or entries.

Every figure comes from its own fresh child process (time.perf_counter; the child's peak RSS from
resource.getrusage, ru_maxrss), so no run inherits another's memory:

  pain.001   paybot's streaming `write_pain001` of N domestic payments (11-digit BBAN + KID,
             realistic Norwegian payee names, N/20 payees, five execution dates) to a file, then
             `schemas.validate_file` against the bundled pain.001.001.03 XSD (lxml). Peak RSS
             after building the order (base), after the write and after write + validation
             (total); validation's own peak comes from a second fresh process, as it builds the
             whole tree.
  sepaxml    sepaxml writing the same N payments as IBAN transfers (IBAN from
             stdnum.no.kontonr.to_iban, BIC DNBANOKKXXX, amounts in øre; it has no KID, so the
             KID goes in Ustrd), with its own xmlschema validation, then to a file. Validation is
             the `try_valid_xml` that `export()` runs by default, called after `export(validate=
             False)` so the two are timed apart. A run that takes over 120 s, or that sepaxml
             refuses (xmlschema stops at 1,000,000 elements: about 66,000 payments), is
             measured again at 20,000 and scaled linearly, and the output says so. sepaxml is
             not a dependency of paybot (its XSDs ship inside paybot): it comes with the `dev`
             extra, and without it this comparison is left out.
  camt.054   `read_camt054` iterating every entry of a camt.054 with N entries (debit notes for
             our payments, credit notes for incoming KID payments, a few returns).
             Beside it, the floor: the same hardened stream parsed, each entry dropped
             unread (libxml2 and lxml's own cost on this machine, which no reader goes below).
  pain.002   `stream_pain002` iterating every report of a pain.002 with N transaction statuses;
             and, for comparison only, `read_pain002`, which keeps them all.

The camt.054 and pain.002 files are written first, into a temp dir, with paybot's own writers.
Targets, at the largest size: pain.001 write peak RSS under 150 MB; paybot write + validation
faster than sepaxml; reading camt.054 at 60,000 entries/s or more (wall clock, as measured), and
reading camt.054 and streaming pain.002 in flat memory (peak RSS at the largest size at most
10 MB above the smallest). Figures only: the exit code is 0 whether a target
is met or not. Reading also reports its CPU time (ru_utime + ru_stime of the child), which other
work on a shared machine disturbs less than the wall clock; `--only ingest` skips pain.001 and
sepaxml (minutes at 100,000) when only the readers are of interest. Each reader runs
`--repeat` times (3), each in a fresh process, and the fastest run is shown (as timeit does:
other work only slows a run), with every run's figure under the table.

  .venv/bin/python bench/bank_files.py
  .venv/bin/python bench/bank_files.py --sizes 10000 50000 --seed 7
  .venv/bin/python bench/bank_files.py --only ingest
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from types import FrameType
from typing import Any

from stdnum import luhn
from stdnum.no import kontonr

from paybot.core.bankfiles.camt054 import read_camt054, write_camt054
from paybot.core.bankfiles.model import (
    CreditTransfer,
    Entry,
    EntryTransaction,
    Notification,
    Party,
    PaymentBlock,
    PaymentOrder,
    StatusLevel,
    StatusReport,
)
from paybot.core.bankfiles.pain001 import write_pain001
from paybot.core.bankfiles.pain002 import read_pain002, stream_pain002, write_pain002
from paybot.core.bankfiles.safe_xml import XmlStream
from paybot.core.bankfiles.schemas import validate_file
from paybot.core.payments import ReferenceType

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FIRST_EXECUTION = date(2026, 11, 24)
EXECUTION_DAYS = 5  # one PmtInf per execution date
COMPANY_NAME = "Bench Bygg og Anlegg AS"
COMPANY_ORG_NO = "974760673"
COMPANY_ACCOUNT = "86011117947"
COMPANY_BIC = "DABANO22"  # what schwifty's registry gives for bank code 8601
PAYEE_BIC = "DNBANOKKXXX"
MESSAGE_ID = "PAYBOT-BENCH-20261123-0001"
PAIN001_VERSION = "pain.001.001.03"
DEFAULT_SIZES = (10_000, 100_000)
DEFAULT_SEED = 20261123
DEFAULT_REPEAT = 3
TARGET_WRITE_MB = 150.0
FLAT_SLACK_MB = 10.0
TARGET_CAMT054_PER_S = 60_000
SEPAXML_LIMIT_S = 120.0
SEPAXML_FALLBACK_SIZE = 20_000
INGEST = {  # child task -> (file, what is iterated)
    "camt054": ("camt054.xml", "camt.054 read_camt054"),
    "camt054-parse": ("camt054.xml", "camt.054 parse alone (floor)"),
    "pain002": ("pain002.xml", "pain.002 stream_pain002"),
    "pain002-all": ("pain002.xml", "pain.002 read_pain002 (keeps all)"),
}
FLAT_TARGETS = ("camt054", "pain002")
MAX_NOTE = 90  # characters of an error message in a table
NO_SEPAXML = "not installed (it comes with the dev extra: pip install -e '.[dev]'), not compared"
CHILD_TASKS = ("generate", "pain001", "validate", "sepaxml", *INGEST)
BANK_PREFIXES = ("1503", "1506", "1207", "3000", "6011", "9710", "1254", "1644", "3201", "2801")
NAME_FIRST = (
    "Nordic", "Fjord", "Bergen", "Vestland", "Østlandet", "Trøndelag", "Aker", "Solberg",
    "Hagen", "Lillehammer", "Bjørk", "Havbris", "Nordlys", "Skog", "Fjell", "Kyst", "Bryggen",
    "Sørlandet", "Viken", "Ålesund", "Tromsø", "Stavanger", "Drammen", "Møre", "O’Neill",
)  # fmt: skip
NAME_SECOND = (
    "Rør", "Elektro", "Bygg", "Transport", "Regnskap", "Kontor", "Data", "Maskin", "Renhold",
    "Catering", "Trykk", "Sikkerhet", "Vekst", "Eiendom", "Verksted", "Frakt", "Glass",
    "Maling", "Ventilasjon", "Konsult", "Papir", "Energi", "Anlegg", "Tre", "Stål",
)  # fmt: skip
NAME_THIRD = ("", " & Sønn", " og Co", " Service", " Partner", " Gruppen", " Norge", " – Avd. Vest")
NAME_SUFFIX = ("AS", "AS", "AS", "AS", "ASA", "ENK", "DA", "SA")
REJECT_REASONS = (
    ("AC04", "Mottakers konto er oppgjort"),
    ("AM04", "Ikke dekning på konto"),
    ("BE01", "Navn og konto stemmer ikke overens"),
    ("AC01", "Ugyldig kontonummer"),
)


# ---------------------------------------------------------------- the payments, deterministic


@dataclass(frozen=True)
class Payee:
    name: str
    account: str  # 11-digit BBAN with a valid MOD11 check digit
    iban: str
    party: Party


@dataclass(frozen=True)
class Payment:
    number: int
    payee: Payee
    amount: Decimal
    kid: str
    execution_date: date


def _account(rng: random.Random) -> str:
    while True:
        body = rng.choice(BANK_PREFIXES) + "".join(rng.choices("0123456789", k=6))
        for digit in "0123456789":
            if kontonr.is_valid(body + digit):
                return body + digit


def make_payees(rng: random.Random, count: int) -> list[Payee]:
    """`count` payees with valid accounts and names like 'Bjørk Rør & Sønn AS'."""
    payees = []
    for index in range(count):
        name = (
            f"{rng.choice(NAME_FIRST)} {rng.choice(NAME_SECOND)}{rng.choice(NAME_THIRD)} "
            f"{rng.choice(NAME_SUFFIX)}"
        )
        if rng.random() < 0.3:  # many payees share a name pattern; keep them apart
            name = f"{name} {index}"
        account = _account(rng)
        payees.append(Payee(name, account, kontonr.to_iban(account), Party(name)))
    return payees


def _amount(rng: random.Random) -> Decimal:
    return Decimal(f"{min(rng.lognormvariate(8.0, 1.3), 4_999_999.99):.2f}")


def _kid(rng: random.Random) -> str:
    body = "".join(rng.choices("0123456789", k=rng.randint(6, 14)))
    return body + luhn.calc_check_digit(body)


def _day(index: int) -> date:
    return FIRST_EXECUTION + timedelta(days=index)


def _e2e(number: int) -> str:
    return f"E2E-{number:010d}"


def _block_id(day: date) -> str:
    return f"PMTINF-{day:%Y%m%d}-0001"


def iter_payments(size: int, seed: int) -> Iterator[Payment]:
    """`size` NOK payments with KIDs over size/20 payees, a few payees taking many (Zipf-like)."""
    rng = random.Random(seed)
    payees = make_payees(rng, max(1, size // 20))
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(payees))]
    for number, payee in enumerate(rng.choices(payees, weights=weights, k=size), 1):
        day = _day(rng.randrange(EXECUTION_DAYS))
        yield Payment(number, payee, _amount(rng), _kid(rng), day)


def paybot_order(size: int, seed: int) -> PaymentOrder:
    """The payments as paybot's model: BBAN + KID, one block per execution date."""
    by_day: dict[date, list[CreditTransfer]] = {}
    for p in iter_payments(size, seed):
        transfer = CreditTransfer(
            end_to_end_id=_e2e(p.number),
            instruction_id=f"INSTR-{p.number:010d}",
            amount=p.amount,
            currency="NOK",
            creditor=p.payee.party,
            creditor_account=p.payee.account,
            reference_type=ReferenceType.KID,
            reference=p.kid,
        )
        by_day.setdefault(p.execution_date, []).append(transfer)
    blocks = [
        PaymentBlock(_block_id(day), COMPANY_ACCOUNT, day, transfers)
        for day, transfers in sorted(by_day.items())
    ]
    company = Party(COMPANY_NAME, COMPANY_ORG_NO)
    return PaymentOrder(MESSAGE_ID, NOW, company, Party(COMPANY_NAME), blocks)


def sepaxml_payments(size: int, seed: int) -> list[dict[str, Any]]:
    """The same payments as sepaxml wants them: IBAN, BIC, int øre, the KID as free text."""
    return [
        {
            "name": p.payee.name,
            "IBAN": p.payee.iban,
            "BIC": PAYEE_BIC,
            "amount": int(p.amount.scaleb(2)),
            "currency": "NOK",
            "description": p.kid,
            "execution_date": p.execution_date,
            "endtoend_id": _e2e(p.number),
        }
        for p in iter_payments(size, seed)
    ]


# ---------------------------------------------------------------- the files to ingest


def _entry(rng: random.Random, number: int, payee: Payee) -> Entry:
    """60 % debit notes for our payments, 39.5 % incoming KID payments, 0.5 % returns."""
    amount, day, draw = _amount(rng), _day(rng.randrange(EXECUTION_DAYS)), rng.random()
    if draw < 0.6:
        direction, status = "DBIT", "BOOK"
        tx = EntryTransaction(
            end_to_end_id=_e2e(number),
            instruction_id=f"INSTR-{number:010d}",
            payment_info_id=_block_id(day),
            message_id=MESSAGE_ID,
            amount=amount,
        )
    elif draw < 0.995:
        direction, status = "CRDT", "BOOK"
        tx = EntryTransaction(
            amount=amount, kid=_kid(rng), debtor_name=payee.name, debtor_account=payee.account
        )
    else:
        direction, status = "CRDT", "INFO"
        tx = EntryTransaction(end_to_end_id=_e2e(number), amount=amount, return_reason="AC04")
    return Entry(
        account=COMPANY_ACCOUNT,
        amount=amount,
        currency="NOK",
        direction=direction,
        status=status,
        booking_date=day,
        value_date=day,
        bank_reference=f"NO{number:014d}",
        reversal=status == "INFO",
        transactions=(tx,),
    )


def iter_entries(size: int, seed: int) -> Iterator[Entry]:
    rng = random.Random(seed + 1)
    payees = make_payees(rng, max(1, size // 20))
    for number in range(1, size + 1):
        yield _entry(rng, number, rng.choice(payees))


def iter_status_reports(size: int, seed: int) -> Iterator[StatusReport]:
    """GROUP PART, then per block PART and its transactions: 98 % ACSC, 2 % RJCT with a reason."""
    rng = random.Random(seed + 2)
    yield StatusReport(StatusLevel.GROUP, MESSAGE_ID, "PART")
    for block in range(EXECUTION_DAYS):
        block_id = _block_id(_day(block))
        yield StatusReport(StatusLevel.PAYMENT_INFO, MESSAGE_ID, "PART", block_id)
        first, last = block * size // EXECUTION_DAYS, (block + 1) * size // EXECUTION_DAYS
        for number in range(first + 1, last + 1):
            reasons: tuple[str, ...] = ()
            notes: tuple[str, ...] = ()
            if rng.random() < 0.02:
                code, note = rng.choice(REJECT_REASONS)
                reasons, notes = (code,), (note,)
            status = "RJCT" if reasons else "ACSC"
            yield StatusReport(
                StatusLevel.TRANSACTION, MESSAGE_ID, status, block_id, _e2e(number), reasons, notes
            )


def write_ingest_files(directory: Path, size: int, seed: int) -> dict[str, float]:
    """camt054.xml and pain002.xml with paybot's writers; seconds each took."""
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    header = Notification("CAMT054-BENCH-0001", NOW, "camt.054.001.02")
    write_camt054(directory / INGEST["camt054"][0], header, iter_entries(size, seed))
    seconds["camt054"] = time.perf_counter() - start
    start = time.perf_counter()
    write_pain002(
        directory / INGEST["pain002"][0],
        iter_status_reports(size, seed),
        message_id="PAIN002-BENCH-0001",
        created_at=NOW,
    )
    seconds["pain002"] = time.perf_counter() - start
    return seconds


# ---------------------------------------------------------------- measurements, in a child


def _peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10  # bytes vs KiB


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def measure_pain001(size: int, seed: int, directory: Path) -> dict[str, Any]:
    """Build the order (not timed), stream it to a file, then validate that file."""
    order = paybot_order(size, seed)
    path = directory / "pain001.xml"
    result: dict[str, Any] = {"base_mb": _peak_mb()}

    def write() -> None:
        with path.open("wb") as out:
            write_pain001(order, out)

    result["write_s"] = _timed(write)
    result["write_mb"] = _peak_mb()
    result["validate_s"] = _timed(lambda: validate_file(path, PAIN001_VERSION))
    result["total_mb"] = _peak_mb()
    result["file_mb"] = path.stat().st_size / 2**20
    return result


def measure_validation(directory: Path) -> dict[str, Any]:
    """Validation alone, in a fresh process: the memory of lxml's tree for the whole file."""
    base = _peak_mb()
    seconds = _timed(lambda: validate_file(directory / "pain001.xml", PAIN001_VERSION))
    return {"base_mb": base, "validate_s": seconds, "peak_mb": _peak_mb()}


class _TimedOut(Exception):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _TimedOut


def _sepaxml_steps(size: int, seed: int, path: Path) -> list[Callable[[], None]]:
    """build, export, validate: the payment dicts are made here, before any timing."""
    from sepaxml import SepaTransfer  # here, so paybot's runs do not load it
    from sepaxml.validation import try_valid_xml

    config = {
        "name": COMPANY_NAME, "IBAN": kontonr.to_iban(COMPANY_ACCOUNT), "BIC": COMPANY_BIC,
        "batch": True, "currency": "NOK", "domestic": True,  # domestic: no SvcLvl SEPA
    }  # fmt: skip
    payments = sepaxml_payments(size, seed)
    state: dict[str, Any] = {}

    def build() -> None:
        state["sepa"] = SepaTransfer(config, schema=PAIN001_VERSION)  # clean=True by default
        for payment in payments:
            state["sepa"].add_payment(payment)

    def export() -> None:
        state["xml"] = state["sepa"].export(validate=False)

    def validate() -> None:  # exactly what export(validate=True) calls after serialising
        try_valid_xml(state["xml"], PAIN001_VERSION)
        path.write_bytes(state["xml"])

    return [build, export, validate]


def measure_sepaxml(size: int, seed: int, directory: Path, limit: float) -> dict[str, Any]:
    """sepaxml's build, export and validation; stopped after `limit` seconds (timed_out).

    sepaxml refusing the payments or its own output is an outcome to report ("failed"), not a
    crash of the benchmark.
    """
    steps = _sepaxml_steps(size, seed, directory / "sepaxml.xml")
    result: dict[str, Any] = {"base_mb": _peak_mb(), "timed_out": False}
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        for name, step in zip(("build_s", "export_s", "validate_s"), steps, strict=True):
            result[name] = _timed(step)
    except _TimedOut:
        result["timed_out"] = True
    except Exception as exc:  # e.g. xmlschema's XMLResourceExceeded on a large file
        cause = exc.__cause__ or exc
        result["failed"] = f"{type(cause).__name__}: {cause}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    result["peak_mb"] = _peak_mb()
    return result


def _reader(task: str, path: Path) -> Iterator[Any]:
    if task == "camt054":
        return read_camt054(str(path), path)[1]
    if task == "camt054-parse":
        return _parsed_entries(path)
    if task == "pain002":
        return stream_pain002(str(path), path)[1]
    return iter(read_pain002(str(path), path).reports)


def _parsed_entries(path: Path) -> Iterator[Any]:
    """The stream read_camt054 reads (the same hardening and parser settings), each `Ntry`
    parsed and dropped, none read: what this machine's libxml2 and lxml cost before any field."""
    stream = XmlStream(
        str(path),
        path,
        message="BkToCstmrDbtCdtNtfctn",
        family="camt.054",
        ends=("GrpHdr", "Ntfctn", "Ntry"),
        local_names=True,
    )
    return (element for _, name, element in stream if name == "Ntry")


def measure_generation(size: int, seed: int, directory: Path) -> dict[str, Any]:
    """Writes the files to ingest here, so that the parent process stays small (see run_child)."""
    return {"generate_s": write_ingest_files(directory, size, seed), "peak_mb": _peak_mb()}


def measure_ingest(task: str, size: int, directory: Path) -> dict[str, Any]:
    """Iterate every entry or report, noting the peak RSS after each tenth of them."""
    path = directory / INGEST[task][0]
    base, step = _peak_mb(), max(1, size // 10)
    tenths: list[float] = []
    items = 0
    cpu, start = _cpu_s(), time.perf_counter()
    for _ in _reader(task, path):
        items += 1
        if items % step == 0:
            tenths.append(_peak_mb())
    seconds, cpu = time.perf_counter() - start, _cpu_s() - cpu
    return {
        "items": items,
        "read_s": seconds,
        "per_s": items / seconds,
        "cpu_s": cpu,
        "per_cpu_s": items / cpu if cpu else None,
        "base_mb": base,
        "peak_mb": _peak_mb(),
        "tenths_mb": tenths,
        "file_mb": path.stat().st_size / 2**20,
    }


def child_main(args: argparse.Namespace) -> None:
    task, size, seed, directory = args.child, args.size, args.seed, args.data_dir
    if task == "generate":
        result = measure_generation(size, seed, directory)
    elif task == "pain001":
        result = measure_pain001(size, seed, directory)
    elif task == "validate":
        result = measure_validation(directory)
    elif task == "sepaxml":
        result = measure_sepaxml(size, seed, directory, args.limit)
    else:
        result = measure_ingest(task, size, directory)
    result["size"] = size
    print(json.dumps(result))


# ---------------------------------------------------------------- the parent: runs, tables, targets


def run_child(task: str, size: int, seed: int, directory: Path) -> dict[str, Any]:
    """One measurement in a fresh process; {"error": ...} if it failed.

    On Linux a child's ru_maxrss starts at the parent's high-water mark (execve carries it over),
    so the parent does no heavy work of its own: every file is made in a child too.
    """
    command = [sys.executable, __file__, "--child", task, "--size", str(size)]
    command += ["--seed", str(seed), "--data-dir", str(directory)]
    command += ["--limit", str(SEPAXML_LIMIT_S)]
    child = subprocess.run(command, capture_output=True, text=True)
    if child.returncode != 0 or not child.stdout.strip():
        sys.stderr.write(child.stderr)
        lines = child.stderr.strip().splitlines() or [f"exit code {child.returncode}"]
        return {"error": lines[-1], "size": size}
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def run_sepaxml(size: int, seed: int, directory: Path) -> dict[str, Any]:
    """sepaxml at `size`; if it runs over the limit or fails there, at 20,000 scaled linearly."""
    result = run_child("sepaxml", size, seed, directory)
    stopped = result.get("timed_out") or "failed" in result
    if not stopped or size <= SEPAXML_FALLBACK_SIZE:
        return result
    small = run_child("sepaxml", SEPAXML_FALLBACK_SIZE, seed, directory)
    small["full_size_problem"] = result.get("failed") or f"over {SEPAXML_LIMIT_S:.0f} s"
    factor = size / SEPAXML_FALLBACK_SIZE
    for key in ("build_s", "export_s", "validate_s"):
        if key in small:
            small[key] *= factor
    small["scaled_from"] = SEPAXML_FALLBACK_SIZE
    small["size"] = size
    return small


def run_best(task: str, size: int, seed: int, directory: Path, repeat: int) -> dict[str, Any]:
    """`repeat` runs, each in a fresh process; the fastest is kept (as timeit does: other work on
    the machine only ever slows a run), with every run's items/s beside it."""
    runs = [run_child(task, size, seed, directory) for _ in range(repeat)]
    timed = [run for run in runs if "read_s" in run]
    if not timed:
        return runs[-1]
    best = min(timed, key=lambda run: float(run["read_s"]))
    best["runs_per_s"] = [run["per_s"] for run in timed]
    best["runs_per_cpu_s"] = [run["per_cpu_s"] for run in timed]
    return best


def run_size(size: int, seed: int, root: Path, only: str, repeat: int) -> dict[str, Any]:
    directory = root / str(size)
    directory.mkdir()
    generated = run_child("generate", size, seed, directory)
    results: dict[str, Any] = {"size": size, "generate_s": generated.get("generate_s", {})}
    if only != "ingest":
        results["pain001"] = run_child("pain001", size, seed, directory)
        results["validate"] = run_child("validate", size, seed, directory)
        results["sepaxml"] = (
            run_sepaxml(size, seed, directory) if _installed("sepaxml") else {"error": NO_SEPAXML}
        )
    for task in INGEST:
        results[task] = run_best(task, size, seed, directory, repeat)
    for name in ("pain001.xml", "sepaxml.xml", "camt054.xml", "pain002.xml"):
        (directory / name).unlink(missing_ok=True)  # 100k files are tens of MB each
    return results


def _f(result: dict[str, Any], key: str, width: int, digits: int = 2) -> str:
    value = result.get(key)
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.{digits}f}"


def _paybot_s(r: dict[str, Any]) -> float | None:
    p = r["pain001"]
    return None if "error" in p else float(p["write_s"] + p["validate_s"])


def _sepaxml_s(r: dict[str, Any]) -> float | None:
    s = r["sepaxml"]
    if "error" in s or "failed" in s or s.get("timed_out"):
        return None
    return float(s["build_s"] + s["export_s"] + s["validate_s"])


def print_pain001(results: list[dict[str, Any]]) -> None:
    print(f"pain.001 ({PAIN001_VERSION}, BBAN + KID): paybot write_pain001 + validate_file (lxml)")
    print(
        f"{'size':>8} {'file MB':>8} {'write s':>8} {'valid s':>8} {'total s':>8} "
        f"{'base MB':>8} {'write MB':>9} {'total MB':>9} {'valid MB*':>10}"
    )
    for r in results:
        p, v = r["pain001"], r["validate"]
        total = _paybot_s(r)
        print(
            f"{r['size']:>8} {_f(p, 'file_mb', 8, 1)} {_f(p, 'write_s', 8)} "
            f"{_f(p, 'validate_s', 8)} {_f({'t': total}, 't', 8)} {_f(p, 'base_mb', 8, 0)} "
            f"{_f(p, 'write_mb', 9, 0)} {_f(p, 'total_mb', 9, 0)} {_f(v, 'peak_mb', 10, 0)}"
            + (
                f"  ERROR {p.get('error') or v.get('error')}"
                if "error" in p or "error" in v
                else ""
            )
        )
    print("  base = after building the order objects (not timed); write/total = peak RSS after the")
    print(
        "  write and after write + validation; * validation alone in a fresh process "
        f"(its own base {results[-1]['validate'].get('base_mb', 0):.0f} MB)\n"
    )


def _sepaxml_note(s: dict[str, Any]) -> str:
    if "scaled_from" in s:
        return (
            f"  scaled: measured at {s['scaled_from']}, times x{s['size'] / s['scaled_from']:g};"
            f"\n{'':>10}at {s['size']} sepaxml stopped: {s['full_size_problem'][:MAX_NOTE]}"
        )
    if s.get("timed_out"):
        return f"  stopped after {SEPAXML_LIMIT_S:.0f} s"
    problem = s.get("failed") or s.get("error")
    return f"  FAILED {problem[:MAX_NOTE]}" if problem else ""


def _installed(package: str) -> bool:
    try:
        package_version(package)
    except PackageNotFoundError:
        return False
    return True


def print_sepaxml(results: list[dict[str, Any]]) -> None:
    if not _installed("sepaxml"):
        print(f"sepaxml: {NO_SEPAXML}\n")
        return
    print(
        f"sepaxml {package_version('sepaxml')}: the same payments as IBAN transfers, "
        f"xmlschema {package_version('xmlschema')} validation"
    )
    print(
        f"{'size':>8} {'build s':>8} {'export s':>9} {'valid s':>8} {'total s':>8} "
        f"{'peak MB':>8} {'sepaxml/paybot':>15}"
    )
    for r in results:
        s, total, paybot = r["sepaxml"], _sepaxml_s(r), _paybot_s(r)
        ratio = total / paybot if total is not None and paybot else None
        print(
            f"{r['size']:>8} {_f(s, 'build_s', 8)} {_f(s, 'export_s', 9)} {_f(s, 'validate_s', 8)} "
            f"{_f({'t': total}, 't', 8)} {_f(s, 'peak_mb', 8, 0)} {_f({'r': ratio}, 'r', 15, 1)}"
            + _sepaxml_note(s)
        )
    print("  build = SepaTransfer + add_payment each; export = ElementTree to bytes; valid =")
    print("  sepaxml's try_valid_xml (what export(validate=True) runs) + writing the file\n")


def print_ingest(results: list[dict[str, Any]]) -> None:
    print("ingest: a fresh process iterates every entry/report of a file paybot's writers made")
    print(
        f"{'file, reader':<36} {'size':>8} {'file MB':>8} {'gen s':>6} {'read s':>7} "
        f"{'items/s':>9} {'cpu s':>6} {'items/cpu s':>12} {'base MB':>8} {'peak MB':>8}"
    )
    for task, (_, label) in INGEST.items():
        for r in results:
            i = r[task]
            generated = r["generate_s"].get(task.split("-")[0])
            print(
                f"{label:<36} {r['size']:>8} {_f(i, 'file_mb', 8, 1)} "
                f"{_f({'g': generated}, 'g', 6, 1)} {_f(i, 'read_s', 7)} "
                f"{_f(i, 'per_s', 9, 0)} {_f(i, 'cpu_s', 6)} {_f(i, 'per_cpu_s', 12, 0)} "
                f"{_f(i, 'base_mb', 8, 0)} {_f(i, 'peak_mb', 8, 0)}"
                + (f"  ERROR {i['error']}" if "error" in i else "")
            )
    runs = results[-1]["camt054"].get("runs_per_s") or []
    if len(runs) > 1:
        print(
            f"  the fastest of {len(runs)} runs each; camt.054 read_camt054's runs at "
            f"{results[-1]['size']}: " + ", ".join(f"{per_s:,.0f}" for per_s in runs) + " items/s"
        )
    print(f"\npeak RSS (MB) after each tenth of the items, at {results[-1]['size']}:")
    for task, (_, label) in INGEST.items():
        tenths = results[-1][task].get("tenths_mb", [])
        print(f"  {label:<34} " + " ".join(f"{mb:>5.0f}" for mb in tenths))
    print()


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def print_targets(results: list[dict[str, Any]]) -> None:
    large = results[-1]
    size = large["size"]
    print(f"targets (at {size}):")
    if "pain001" in large:
        _print_pain001_targets(large)
    per_s, per_cpu_s = large["camt054"].get("per_s"), large["camt054"].get("per_cpu_s")
    if per_s is None:
        print(f"  camt.054 reading >= {TARGET_CAMT054_PER_S:,} entries/s: n/a (run failed)  MISS")
    else:
        print(
            f"  camt.054 reading {per_s:,.0f} entries/s ({per_cpu_s or 0:,.0f} per CPU second) "
            f">= {TARGET_CAMT054_PER_S:,}  {_verdict(per_s >= TARGET_CAMT054_PER_S)}"
        )
        floor = large.get("camt054-parse", {}).get("per_s")
        if floor:
            print(
                f"    (the floor on this machine now: the stream parsed, no field read, "
                f"{floor:,.0f} entries/s; reading takes {floor / per_s:.2f}x as long)"
            )
    _print_flat_targets(results)


def _print_pain001_targets(large: dict[str, Any]) -> None:
    write_mb = large["pain001"].get("write_mb")
    if write_mb is None:
        print(f"  pain.001 write peak RSS < {TARGET_WRITE_MB:.0f} MB: n/a (run failed)  MISS")
    else:
        print(
            f"  pain.001 write peak RSS {write_mb:.0f} MB < {TARGET_WRITE_MB:.0f} MB  "
            f"{_verdict(write_mb < TARGET_WRITE_MB)}"
        )
    paybot, sepa = _paybot_s(large), _sepaxml_s(large)
    if large["sepaxml"].get("error") == NO_SEPAXML:
        print("  paybot write + validation faster than sepaxml: n/a (sepaxml not installed)")
    elif paybot is None or sepa is None:
        print("  paybot write + validation faster than sepaxml: n/a (a run failed)  MISS")
    else:
        scaled = " (scaled)" if "scaled_from" in large["sepaxml"] else ""
        print(
            f"  paybot write + validation {paybot:.2f} s vs sepaxml {sepa:.2f} s{scaled} "
            f"(ratio {sepa / paybot:.1f}): faster  {_verdict(paybot < sepa)}"
        )


def _print_flat_targets(results: list[dict[str, Any]]) -> None:
    small, large = results[0], results[-1]
    for task in FLAT_TARGETS:
        label = INGEST[task][1]
        low, high = small[task].get("peak_mb"), large[task].get("peak_mb")
        if len(results) < 2 or low is None or high is None:
            print(f"  {label} flat memory: n/a (needs two sizes that ran)")
            continue
        flat = _verdict(high - low <= FLAT_SLACK_MB)
        print(
            f"  {label} flat memory: peak {low:.0f} MB at {small['size']}, {high:.0f} MB at "
            f"{large['size']} (<= +{FLAT_SLACK_MB:.0f} MB)  {flat}"
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--only", choices=("all", "ingest"), default="all", help="ingest: the readers alone"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=DEFAULT_REPEAT,
        help="runs of each reader (each a fresh process); the fastest is shown",
    )
    parser.add_argument("--child", choices=CHILD_TASKS, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=float, default=SEPAXML_LIMIT_S, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child is not None:
        child_main(args)
        return 0
    sizes = sorted(set(args.sizes))
    print(f"paybot bank files benchmark, sizes {sizes}, seed {args.seed}")
    print(f"python {sys.version.split()[0]}, {sys.platform}, lxml {package_version('lxml')}")
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="paybot-bench-") as tmp:
        results = [run_size(size, args.seed, Path(tmp), args.only, args.repeat) for size in sizes]
    print(
        f"load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end, on "
        f"{os.cpu_count()} CPUs (wall-clock figures: other work on the machine slows them)"
    )
    print(
        f"parent process peak RSS {_peak_mb():.0f} MB: Linux carries it over into each child's "
        "ru_maxrss, so no child figure can read lower\n"
    )
    if args.only != "ingest":
        print_pain001(results)
        print_sepaxml(results)
    print_ingest(results)
    print_targets(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
