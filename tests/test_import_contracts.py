"""The layers of DESIGN.md, as import-linter contracts (pyproject.toml, `lint-imports` in CI)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"


def contract_types() -> list[str]:
    config = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    return [contract["type"] for contract in config["tool"]["importlinter"]["contracts"]]


def test_the_contracts_cover_layers_forbidden_imports_and_cycles() -> None:
    assert {"layers", "forbidden", "protected", "acyclic_siblings"} <= set(contract_types())


def test_every_import_contract_is_kept() -> None:
    # Prints the broken contracts with the import chains that break them.
    assert lint_imports(str(PYPROJECT), no_cache=True, no_logo=True) == 0


def test_the_bank_gateways_and_the_ports_load_no_database_code() -> None:
    loaded = (
        "import sys\n"
        "import paybot.bank.factory, paybot.bank.directory, paybot.bank.sftp, paybot.bank.sandbox\n"
        "import paybot.services.ports\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in "
        "{'sqlalchemy', 'alembic'} or name.startswith('paybot.store')))\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", loaded], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "[]"
