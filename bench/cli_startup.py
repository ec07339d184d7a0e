"""Benchmark: how quickly `paybot` answers on the command line.

Runs the installed `paybot` command in a fresh process each time and reports the median wall
time of `--repeat` runs (10 by default) of:

  --help          paybot --help (typer and the command modules only)
  company list    an everyday command: settings, the schema check, one query
  proposals list  the proposals of a SQLite database of 1,000 payments, as a table

The database is built first through the command line itself (db upgrade, company add, import
suppliers and open items, proposals refresh) in a temporary folder. Targets: 0.3 s for `--help`
and everyday commands, 0.5 s for `proposals list`. The median CPU time (user + system) is
printed too: on a busy machine it says what a command costs when the wall time cannot. With
`--instructions`, each command is also run once under valgrind (callgrind), which counts the
instructions it executes: the same figure however busy the machine is (slow: a few seconds a
command). Figures only: the exit code is 0 whether a target is met or not.

  .venv/bin/python bench/cli_startup.py
  .venv/bin/python bench/cli_startup.py --repeat 20 --payments 1000
  .venv/bin/python bench/cli_startup.py --instructions
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from stdnum import luhn
from stdnum.no import kontonr, orgnr

COMPANY_ORG_NO = "974760673"
COMPANY_ACCOUNT = "86011117947"
SUPPLIERS = 50
SEED = 20261123
DUE_FROM = date(2026, 12, 1)
TARGETS = {"--help": 0.3, "company list": 0.3, "proposals list": 0.5}
COMMANDS = {
    "--help": ["--help"],
    "company list": ["company", "list"],
    "proposals list": ["proposals", "list", "--company", COMPANY_ORG_NO],
}


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float  # user + system: what the command costs, whatever else the machine is doing


def paybot_command() -> list[str]:
    """The installed `paybot` script next to this Python, else `python -m paybot`."""
    script = Path(sys.executable).with_name("paybot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "paybot"]


def _valid(rng: random.Random, prefix: str, length: int, is_valid: Callable[[str], bool]) -> str:
    """A random number of `length` digits after `prefix` with a check digit `is_valid` takes."""
    while True:
        body = prefix + "".join(rng.choices("0123456789", k=length - len(prefix) - 1))
        for digit in "0123456789":
            if is_valid(body + digit):
                return body + digit


def write_ledger(folder: Path, payments: int) -> tuple[Path, Path]:
    """A suppliers file and `payments` open items over them (every one becomes a proposal)."""
    rng = random.Random(SEED)
    suppliers = [
        (
            f"Leverandør {index} AS",
            _valid(rng, "9", 9, orgnr.is_valid),
            _valid(rng, "1503", 11, kontonr.is_valid),
        )
        for index in range(SUPPLIERS)
    ]
    supplier_file = folder / "suppliers.csv"
    supplier_file.write_text(
        "name;org_no;account\n" + "".join(f"{n};{o};{a}\n" for n, o, a in suppliers),
        encoding="utf-8",
    )
    rows = []
    for voucher in range(1, payments + 1):
        name, org_no, account = rng.choice(suppliers)
        body = "".join(rng.choices("0123456789", k=9))
        kid = body + luhn.calc_check_digit(body)
        amount = f"{rng.randint(100, 250_000)},{rng.randint(0, 99):02d}"
        due = DUE_FROM + timedelta(days=rng.randint(0, 40))
        rows.append(
            f"{voucher};F-{voucher};{name};{org_no};{account};{amount};NOK;2026-11-01;"
            f"{due.isoformat()};kid;{kid}\n"
        )
    item_file = folder / "open-items.csv"
    item_file.write_text(
        "voucher_no;invoice_no;supplier_name;supplier_org_no;account;amount;currency;"
        "invoice_date;due_date;reference_type;reference\n" + "".join(rows),
        encoding="utf-8",
    )
    return supplier_file, item_file


def run(paybot: list[str], args: list[str], folder: Path, env: dict[str, str]) -> Run:
    """One `paybot` process, start to exit (it must succeed): wall and CPU seconds."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        [*paybot, *args], cwd=folder, env=env, capture_output=True, text=True, check=False
    )
    took = Run(time.perf_counter() - started, _children_cpu() - cpu_before)
    if done.returncode != 0:
        raise SystemExit(f"paybot {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return took


def instructions(paybot: list[str], args: list[str], folder: Path, env: dict[str, str]) -> str:
    """Millions of instructions one `paybot` process executes in user space (the interpreter's
    and the libraries', not the kernel's), as valgrind's callgrind counts them; "-" without
    valgrind."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return "-"
    done = subprocess.run(
        [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", *paybot, *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    counted = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or counted is None:
        raise SystemExit(f"paybot {' '.join(args)} failed under valgrind:\n{done.stderr}")
    return f"{int(counted[1]) / 1e6:,.0f}"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build_database(paybot: list[str], folder: Path, env: dict[str, str], payments: int) -> None:
    supplier_file, item_file = write_ledger(folder, payments)
    company = ["--company", COMPANY_ORG_NO]
    for args in (
        ["db", "upgrade"],
        ["company", "add", "--org-no", COMPANY_ORG_NO, "--name", "Acme AS"]
        + ["--account", COMPANY_ACCOUNT],
        ["import", "suppliers", str(supplier_file), *company],
        ["import", "open-items", str(item_file), *company],
        ["proposals", "refresh", *company],
    ):
        run(paybot, args, folder, env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="runs per command (median)")
    parser.add_argument("--payments", type=int, default=1000, help="payments in the database")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count each command's instructions once under valgrind (millions)",
    )
    options = parser.parse_args(argv)
    paybot = paybot_command()
    folder = Path(tempfile.mkdtemp(prefix="paybot-cli-bench-"))
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("PAYBOT_", "SLACK_"))
    }
    env["PAYBOT_DATABASE_URL"] = f"sqlite:///{folder / 'paybot.db'}"
    # As an installed paybot starts: from compiled bytecode, kept here (not in the source tree).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    env["COLUMNS"] = "160"
    try:
        build_database(paybot, folder, env, options.payments)
        print(f"paybot: {' '.join(paybot)}; {options.payments} payments in SQLite")
        print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPU(s)")
        counted = f" {'M instr':>8}" if options.instructions else ""
        print(
            f"{'command':<16} {'median s':>9} {'min s':>7} {'max s':>7} {'cpu s':>7}{counted} "
            f"{'target s':>9}"
        )
        for name, args in COMMANDS.items():
            run(paybot, args, folder, env)  # warm: its modules compiled, the files cached
            runs = [run(paybot, args, folder, env) for _ in range(options.repeat)]
            walls = [r.wall for r in runs]
            median = statistics.median(walls)
            verdict = "ok" if median <= TARGETS[name] else "MISSED"
            if options.instructions:
                counted = f" {instructions(paybot, args, folder, env):>8}"
            print(
                f"{name:<16} {median:>9.3f} {min(walls):>7.3f} {max(walls):>7.3f} "
                f"{statistics.median(r.cpu for r in runs):>7.3f}{counted} "
                f"{TARGETS[name]:>9.1f}  {verdict}"
            )
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
