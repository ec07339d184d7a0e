"""How everyday commands start: what they load (each library imported is paid for at every
start; bench/cli_startup.py measures the time), the ORM they do without (their reads are Core
statements on store/tables.py), the tables they make (each on first use), the schema checked once
per command, and the collector paused while paybot starts."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from paybot.cli import (
    bank,
    jobs,
    ledger,
    main,
    payments,
    people,
    posting,
    returns,
    security,
    serve,
)
from paybot.cli.bank import FileFormat
from paybot.cli.main import app
from paybot.container import reset as reset_container
from paybot.core.bankfiles.model import Pain001Version

ORG = "974760673"
# Libraries of other commands: bank files (lxml), IBANs (schwifty, pycountry), currencies
# (babel), migrations, Slack, the scheduler, SFTP; and pydantic-settings (paybot reads its
# settings without it: paybot.config.read_settings).
NOT_FOR_LISTS = {
    "lxml", "schwifty", "pycountry", "babel", "alembic",
    "slack_sdk", "slack_bolt", "apscheduler", "paramiko", "pydantic_settings",
}  # fmt: skip


def test_the_format_option_offers_the_pain001_versions() -> None:
    assert [v.value for v in FileFormat] == [v.value for v in Pain001Version]


@pytest.mark.parametrize(
    "module", [bank, jobs, ledger, main, payments, people, posting, returns, security, serve]
)
def test_command_annotations_are_not_strings_typer_must_evaluate(module: object) -> None:
    # See paybot/cli/main.py: `from __future__ import annotations` makes every start slower.
    assert "annotations" not in vars(module)


@pytest.fixture
def database(sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A SQLite database with a company and two proposals, made through the command line."""
    path = tmp_path / "paybot.db"
    shutil.copy(sqlite_template, path)
    monkeypatch.setenv("PAYBOT_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "suppliers.csv").write_text(
        "name;org_no;account\nLeverandør AS;923609016;12345678903\n", encoding="utf-8"
    )
    (tmp_path / "items.csv").write_text(
        "voucher_no;invoice_no;supplier_name;supplier_org_no;account;amount;currency;"
        "invoice_date;due_date;reference_type;reference\n"
        "1;F-1;Leverandør AS;923609016;12345678903;1 000,50;NOK;2026-11-01;2026-12-01;kid;"
        "1234567897\n"
        "2;F-2;Leverandør AS;923609016;12345678903;250,00;NOK;2026-11-02;2026-12-02;message;"
        "Faktura 2\n",
        encoding="utf-8",
    )
    reset_container()
    runner = CliRunner()
    for args in (
        ["company", "add", "--org-no", ORG, "--name", "Acme AS", "--account", "86011117947"],
        ["import", "suppliers", "suppliers.csv", "--company", ORG],
        ["import", "open-items", "items.csv", "--company", ORG],
        ["proposals", "refresh", "--company", ORG],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    reset_container()
    return path


# The ORM and the mapped classes: everyday reads need neither (sqlalchemy.orm and the classes'
# mapping cost them more than their queries).
ORM = {"sqlalchemy.orm", "paybot.store.models", "paybot.store.base"}


@dataclass(frozen=True)
class Started:
    """What `paybot WORDS` did in a fresh Python (`_run`)."""

    printed: str
    loaded: set[str]  # top-level packages, and of ORM the modules
    paybot: set[str]  # paybot's modules
    tables: set[str]  # the tables of store/tables.py it made
    checks: int  # schema checks (store.db.ensure_current)
    scans: int  # looks at the installed distributions' metadata (importlib.metadata)
    mapped: bool  # whether it set the ORM's mappers up (which its first ORM statement does)


def _run(words: list[str]) -> Started:
    probe = (
        "import contextlib, gc, importlib.metadata, io, json, sys\n"
        "scans = []\n"
        "entry_points = importlib.metadata.entry_points\n"
        "def counted(*args, **kwargs):\n"
        "    scans.append(kwargs)\n"
        "    return entry_points(*args, **kwargs)\n"
        "importlib.metadata.entry_points = counted\n"
        "from paybot.cli import context\n"
        "from paybot.cli.main import app\n"
        "from paybot.store import db\n"
        "seen, checks = [], []\n"
        "def uow():\n"
        "    made = context_uow()\n"
        "    seen.append(gc.isenabled())\n"
        "    return made\n"
        "context_uow, context.uow = context.uow, uow\n"
        "def ensure_current(engine):\n"
        "    checks.append(engine)\n"
        "    return db_ensure_current(engine)\n"
        "db_ensure_current, db.ensure_current = db.ensure_current, ensure_current\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        f"    try:\n        app({words!r})\n    except SystemExit as exc:\n"
        "        assert not exc.code, exc.code\n"
        "assert seen and all(seen) and gc.isenabled(), (seen, gc.isenabled())\n"
        "loaded = {n.split('.')[0] for n in sys.modules}\n"
        f"loaded = sorted(loaded | set(sys.modules) & {ORM!r})\n"
        "ours = sorted(n for n in sys.modules if n.startswith('paybot.'))\n"
        "from paybot.store import tables\n"
        "made = sorted(tables._metadata.tables)\n"
        "from paybot.store.models import Company\n"
        "print(json.dumps([out.getvalue(), loaded, ours, made, len(checks), len(scans),\n"
        "                  Company.__mapper__.configured]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    printed, loaded, ours, made, checks, scans, mapped = json.loads(done.stdout.splitlines()[-1])
    return Started(printed, set(loaded), set(ours), set(made), checks, scans, mapped)


ROOT_NAMES = [g.name for g in app.registered_groups] + [c.name for c in app.registered_commands]


@pytest.mark.parametrize(
    "words",
    [[name, "--help"] for name in ROOT_NAMES]
    + [["company", "list", "--help"], ["proposals", "list", "--help"], ["company", "nothing"]],
)
def test_a_command_line_reads_as_it_would_with_every_command_made(
    words: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """paybot makes only the group or command a command line names (paybot/cli/context.py)."""

    def outcome(run: Callable[..., object]) -> tuple[object, object]:
        try:
            said: object = run(words, prog_name="paybot", standalone_mode=False)
        except Exception as refused:  # noqa: BLE001 - a usage error, compared as it reads
            said = (type(refused), str(refused))
        return said, capsys.readouterr()

    assert outcome(app) == outcome(typer.main.get_command(app).main)


def test_the_collector_is_paused_while_paybot_starts_and_runs_for_its_work() -> None:
    probe = (
        "import gc\nfrom paybot.cli import context\nfrom paybot.cli.main import app\n"
        "paused = []\n"
        "@app.command('probe')\n"
        "def probe() -> None:\n"
        "    paused.append(not gc.isenabled())\n"
        "    context.resume_collector()\n"
        "    paused.append(not gc.isenabled())\n"
        "try:\n    app(['probe'])\nexcept SystemExit:\n    pass\n"
        "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(paused, gc.isenabled())"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.splitlines()[-1] == "[True, False] True"


# What reading a list needs of paybot's tables (store/tables.py makes each on first use).
LIST_TABLES = {"companies", "company_bank_accounts", "payments", "open_items"}
# Flagging payments (its rules, the banks' accounts, and with them python-stdnum): not for a list.
FLAGGING = {"paybot.core.flags", "paybot.core.banks", "paybot.core.vouchers"}


def test_company_list_loads_neither_identifier_nor_file_libraries(database: Path) -> None:
    started = _run(["company", "list"])
    assert started.printed.startswith(f"{ORG}  Acme AS  [86011117947]")
    assert not started.loaded & (NOT_FOR_LISTS | {"stdnum"})
    assert not started.loaded & ORM  # it reads the tables in Core (paybot/store/companies.py)
    assert not started.mapped
    assert started.tables == {"companies", "company_bank_accounts"}
    assert started.checks == 1
    assert started.scans == 0  # pydantic looks for no plugins (paybot/config.py)


def test_proposals_list_loads_no_library_of_other_commands(database: Path) -> None:
    started = _run(["proposals", "list", "--company", ORG])
    printed = started.printed
    assert "1234.56.78903" in printed and "NOK 1,000.50" in printed and "KID 1234567897" in printed
    assert printed.rstrip().endswith("2 payment(s)")
    assert not started.loaded & NOT_FOR_LISTS
    assert not started.loaded & ORM  # Core too (paybot/store/payment_search.py)
    assert not started.mapped
    assert not started.paybot & FLAGGING
    assert started.tables == LIST_TABLES
    # Two units of work (the payments, then the company's language): the schema checked once.
    assert started.checks == 1
    assert started.scans == 0


def test_a_table_made_on_first_use_is_the_one_the_schema_holds() -> None:
    """store/tables.py makes each table when it is first asked for, `metadata` every one: in
    whatever order, the same tables, with their foreign keys to tables made later."""
    probe = (
        "import json\n"
        "from paybot.store.tables import payments\n"
        "from paybot.store import tables\n"
        "before = sorted(tables._metadata.tables)\n"
        "from paybot.store.tables import metadata\n"
        "print(json.dumps([before, sorted(metadata.tables), list(tables._MAKERS),\n"
        "    payments is metadata.tables['payments'] is tables.payments,\n"
        "    sorted(fk.column.table.name for fk in payments.foreign_keys)]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    before, every, makers, same, referred = json.loads(done.stdout.splitlines()[-1])
    assert before == ["payments"]
    assert every == sorted(makers) and len(every) == 31
    assert same
    assert set(referred) == {"batches", "companies", "open_items", "suppliers", "users"}


def test_the_type_checker_sees_every_table() -> None:
    """The names store/tables.py declares for the type checker are the tables it makes."""
    from paybot.store import tables

    tree = ast.parse(Path(tables.__file__).read_text(encoding="utf-8"))
    [declared] = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING" and node.orelse
    ]
    names = [
        statement.target.id
        for statement in declared.body
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name)
    ]
    assert names == ["metadata", *tables._MAKERS]
    assert tables.metadata is tables._metadata
    assert all(getattr(tables, name) is tables.metadata.tables[name] for name in tables._MAKERS)


def test_settings_are_checked_without_pydantic_plugins_and_leave_the_environment_as_it_was() -> (
    None
):
    probe = (
        "import os\n"
        "import paybot.config\n"
        "from pydantic.plugin import _loader\n"
        "print(paybot.config.SettingsFields.__pydantic_complete__, _loader._plugins,\n"
        "      os.environ.get('PYDANTIC_DISABLE_PLUGINS'))"
    )
    environment = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=environment,
    )
    assert done.stdout.split() == ["True", "None", "None"]
    environment["PYDANTIC_DISABLE_PLUGINS"] = "logfire"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=environment,
    )
    assert done.stdout.split()[-1] == "logfire"


def test_the_models_load_no_sql_dialect() -> None:
    """A dialect-specific option in a table (an index's `postgresql_where`) makes SQLAlchemy
    import that dialect whenever the tables are imported: 60 ms of every command's start."""
    probe = (
        "import sys\nimport paybot.store.models\n"
        "print(sorted(m for m in sys.modules if m.startswith('sqlalchemy.dialects.')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.splitlines()[-1] == "[]"
