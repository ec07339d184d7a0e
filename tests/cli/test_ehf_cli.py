"""`paybot import ehf` through the real command line, on SQLite and PostgreSQL: a folder of the
sample EHF files reports each file and takes the good ones, the proposals list shows them, a
second run takes nothing, and without the UBL schemas the command says where to get them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paybot.cli import context
from paybot.cli.main import app
from paybot.container import reset as reset_container
from paybot.services import companies
from paybot.services.secrets import SecretBox
from paybot.store.uow import UnitOfWork
from tests.shared_fixtures import shared_fixture

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BUYER = "987654325"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout + (result.stderr or "")


@pytest.fixture
def cli(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, uow: UnitOfWork
) -> Iterator[None]:
    monkeypatch.setenv("PAYBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("PAYBOT_SECRET_KEY", SecretBox.new_key())
    monkeypatch.setenv("PAYBOT_UBL_SCHEMA_DIR", str(shared_fixture("ubl21")))
    monkeypatch.chdir(tmp_path)
    reset_container()
    monkeypatch.setattr(context, "now", lambda: NOW)
    companies.add_company(
        uow, org_no=BUYER, name="Buyer AS", account="15032080119", bank="DNB", now=NOW
    )
    yield
    reset_container()


def test_a_folder_is_reported_per_file_and_the_good_ones_are_taken(
    cli: None, tmp_path: Path
) -> None:
    folder = tmp_path / "ehf"
    shutil.copytree(shared_fixture("samples/ehf"), folder)
    (folder / "broken.xml").write_text("<Invoice><cbc:ID>1</Invoice>")

    code, out = run("import", "ehf", str(folder), "--company", BUYER)

    assert code == 1, out  # a file was refused: after taking the good ones
    lines = {line.split(": ", 1)[0]: line for line in out.splitlines() if ".xml: " in line}
    assert len(lines) == 11
    said = {Path(name).name: line.split(": ", 1)[1] for name, line in lines.items()}
    assert said["broken.xml"].startswith("refused: broken.xml:1:")
    # In name order: the agency's copy of TOSL108 (a BBAN) first; OpenPeppol's (the same
    # account as a Norwegian IBAN) is then the same invoice.
    assert said["anskaffelser_ehf3_faktura1_invoice_nok_kid_bban.xml"].startswith(
        "imported as payment #"
    )
    assert said["peppol_no_example1_invoice_nok_kid_iban.xml"].startswith(
        "known already: invoice TOSL108"
    )
    assert "not for Buyer AS (987654325)" in said["peppol_base_example_invoice_eur.xml"]
    assert out.strip().endswith("EHF: 4 imported, 1 known already, 6 refused.")

    listed = run("proposals", "list", "--company", BUYER)[1]
    assert "Ebeneser Scrooge AS" in listed and "802.00" in listed

    code, again = run("import", "ehf", str(folder), "--company", BUYER)
    assert "EHF: 0 imported, 5 known already, 6 refused." in again


def test_without_the_ubl_schemas_it_says_where_to_get_them(
    cli: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PAYBOT_UBL_SCHEMA_DIR")
    reset_container()
    sample = shared_fixture("samples/ehf/peppol_no_example1_invoice_nok_kid_iban.xml")
    code, out = run("import", "ehf", str(sample), "--company", BUYER)
    assert code == 1
    assert "PAYBOT_UBL_SCHEMA_DIR" in out and "UBL-2.1.zip" in out
