"""Payments abroad from the command line to the file, on SQLite and PostgreSQL: a Norwegian KID
invoice, a German EUR invoice (SEPA) and a US USD invoice of NOK 150,000 (its purpose given)
paid in one run, each payment's elements as the Norwegian banks' guides ask; a cross-border
proposal missing its address or purpose is red until fixed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from lxml import etree
from typer.testing import CliRunner

from paybot.cli import context
from paybot.cli.main import app
from paybot.container import reset as reset_container
from paybot.core.otp import code_at
from paybot.services.secrets import SecretBox
from tests.shared_fixtures import shared_fixture

ORG = "974760673"
ACCOUNT = "15032080119"  # DNB (bank code 1503): DNBANOKK
SUPPLIERS = "\n".join(
    [
        "name;org_no;account;street;building_no;post_code;town;country;bic",
        "Kontorrekvisita AS;923609016;1234.56.78903;;;;;;",
        "Maschinenbau Schmidt GmbH;;DE89 3704 0044 0532 0130 00;Hauptstraße;12;10115;Berlin;DE;",
        "Acme Tools Inc;;000123456789;Main Street;500;10001;New York;US;CHASUS33",
        "Ohne Adresse GmbH;;DE02120300000000202051;;;;;;",
        "",
    ]
)
ITEMS = "\n".join(
    [
        "voucher_no;invoice_no;supplier_name;supplier_org_no;account;amount;currency;"
        "invoice_date;due_date;reference_type;reference",
        "2001;F-100;Kontorrekvisita AS;923609016;1234.56.78903;3 450,75;NOK;2026-11-01;"
        "2026-12-01;kid;12345678903",
        "2002;RE-4711;Maschinenbau Schmidt GmbH;;DE89 3704 0044 0532 0130 00;1 200,50;EUR;"
        "2026-11-02;2026-12-01;invoice;RE-4711",
        "2003;INV-88;Acme Tools Inc;;000123456789;14 000,00;USD;2026-11-03;2026-12-01;"
        "invoice;INV-88",
        "2004;R-1;Ohne Adresse GmbH;;DE02120300000000202051;99,00;EUR;2026-11-03;2026-12-01;"
        "invoice;R-1",
        "",
    ]
)
NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"}


class Cli:
    def __init__(self, runner: CliRunner) -> None:
        self.runner = runner
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        self.secret = ""

    def code(self) -> str:
        self.now += timedelta(seconds=30)
        return code_at(self.secret, self.now)

    def __call__(self, *args: str, ok: bool = True) -> str:
        result = self.runner.invoke(app, list(args))
        output = result.stdout + (result.stderr or "")
        assert (result.exit_code == 0) is ok, output
        return output

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json"))


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Cli]:
    monkeypatch.setenv("PAYBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("PAYBOT_SECRET_KEY", SecretBox.new_key())
    monkeypatch.setenv("PAYBOT_FILES_DIR", str(tmp_path / "files"))
    monkeypatch.chdir(tmp_path)
    reset_container()
    runner = Cli(CliRunner())
    monkeypatch.setattr(context, "now", lambda: runner.now)
    yield runner
    reset_container()


def _payments(cli: Cli) -> dict[str, dict[str, Any]]:
    listing = cli.json("proposals", "list", "--company", ORG)["payments"]
    return {payment["voucher_no"]: payment for payment in listing}


def test_a_kid_a_sepa_and_a_usd_payment_go_in_one_file_as_the_banks_ask(
    cli: Cli, tmp_path: Path
) -> None:
    cli("company", "add", "--org-no", ORG, "--name", "Fjordfisk AS", "--account", ACCOUNT)
    cli("company", "set", "--org-no", ORG, "--timing", "immediate")
    cli(
        "users", "add", "--company", ORG, "--slack-user", "U1", "--name", "Kari",
        "--role", "approver", "--role", "signer",
    )  # fmt: skip
    # The accountant fixes; the signer, who changed nothing, signs alone.
    cli(
        "users",
        "add",
        "--company",
        ORG,
        "--slack-user",
        "U2",
        "--name",
        "Per",
        "--role",
        "approver",
    )
    (tmp_path / "suppliers.csv").write_text(SUPPLIERS, encoding="utf-8")
    (tmp_path / "items.csv").write_text(ITEMS, encoding="utf-8")
    cli("import", "suppliers", "suppliers.csv", "--company", ORG)
    cli("import", "open-items", "items.csv", "--company", ORG)
    cli("rates", "set", "USD", "10.7143", "--date", "2026-11-01")  # 14,000 USD = NOK 150,000
    cli("rates", "set", "EUR", "11.70", "--date", "2026-11-01")
    cli("proposals", "refresh", "--company", ORG)

    found = _payments(cli)
    assert found["2001"]["flag"] == "blue"
    assert found["2002"]["flag"] == "blue", found["2002"]
    # Above NOK 100,000 abroad: the purpose is missing; a payee without address is red too.
    assert found["2003"]["flag"] == "red"
    assert "missing_purpose" in found["2003"]["reasons"]
    assert "missing_address" in found["2004"]["reasons"]
    usd, nok, eur = found["2003"]["id"], found["2001"]["id"], found["2002"]["id"]

    enrollment = cli("otp", "enroll", "--company", ORG, "--slack-user", "U1")
    cli.secret = pyotp.parse_uri(enrollment.split("add this link: ")[1].split()[0]).secret
    cli("otp", "confirm", "--slack-user", "U1", "--code", cli.code())
    refused = cli("payments", "sign", str(usd), "--as", "U1", "--code", cli.code(), ok=False)
    assert "purpose" in refused.lower()

    bad = cli("payments", "fix", str(usd), "--as", "U2", "--purpose-code", "99", ok=False)
    assert "99" in bad and "Traceback" not in bad
    cli(
        "payments", "fix", str(usd), "--as", "U2",
        "--purpose-code", "14", "--purpose-text", "Maskindeler",
    )  # fmt: skip
    assert _payments(cli)["2003"]["flag"] == "blue"

    cli("bank", "set", "--company", ORG, "--account", ACCOUNT, "--gateway", "directory")
    cli("payments", "sign", str(nok), str(eur), str(usd), "--as", "U1", "--code", cli.code())
    sent = cli("dispatch", "--now", "2026-11-23T12:00")
    assert "3 payment(s)" in sent, sent
    files = list((tmp_path / "files" / "sent" / ORG).glob("*.xml"))
    assert len(files) == 1, files
    document = etree.parse(str(files[0]))
    _valid(document)

    def block_of(end_to_end: str) -> etree._Element:
        (tx,) = document.xpath(
            "//p:CdtTrfTxInf[p:PmtId/p:EndToEndId=$e]", namespaces=NS, e=end_to_end
        )
        return tx

    def text(element: etree._Element, path: str) -> list[str]:
        return [str(found) for found in element.xpath(path + "/text()", namespaces=NS)]

    domestic = block_of(f"PAYBOT-P{nok}-1")
    sepa = block_of(f"PAYBOT-P{eur}-1")
    abroad = block_of(f"PAYBOT-P{usd}-1")
    # Each in its own PmtInf: the payment type, service level and charge bearer sit there.
    blocks = {text(tx.getparent(), "p:PmtInfId")[0] for tx in (domestic, sepa, abroad)}
    assert len(blocks) == 3
    for tx in (domestic, sepa, abroad):
        assert text(tx.getparent(), "p:DbtrAgt/p:FinInstnId/p:BIC") == ["DNBANOKK"]
    assert text(domestic, "p:RmtInf/p:Strd/p:CdtrRefInf/p:Ref") == ["12345678903"]
    assert text(domestic, "p:CdtrAcct/p:Id/p:Othr/p:SchmeNm/p:Cd") == ["BBAN"]
    assert text(domestic, "p:RgltryRptg//p:Cd") == []

    assert text(sepa.getparent(), "p:PmtTpInf/p:SvcLvl/p:Cd") == ["SEPA"]
    assert text(sepa.getparent(), "p:ChrgBr") == ["SLEV"]
    assert text(sepa, "p:CdtrAcct/p:Id/p:IBAN") == ["DE89370400440532013000"]
    assert text(sepa, "p:Cdtr/p:PstlAdr/p:Ctry") == ["DE"]
    assert text(sepa, "p:Amt/p:InstdAmt") == ["1200.50"]

    assert text(abroad.getparent(), "p:PmtTpInf/p:SvcLvl/p:Cd") == ["NURG"]
    assert text(abroad.getparent(), "p:ChrgBr") == ["SHAR"]
    assert text(abroad, "p:CdtrAgt/p:FinInstnId/p:BIC") == ["CHASUS33"]
    assert text(abroad, "p:CdtrAcct/p:Id/p:Othr/p:Id") == ["000123456789"]
    assert text(abroad, "p:CdtrAcct/p:Id/p:Othr/p:SchmeNm/p:Cd") == []
    assert text(abroad, "p:Cdtr/p:PstlAdr/p:TwnNm") == ["New York"]
    assert text(abroad, "p:Cdtr/p:PstlAdr/p:Ctry") == ["US"]
    assert text(abroad, "p:RgltryRptg/p:Dtls/p:Cd") == ["14"]
    assert "Maskindeler" in " ".join(text(abroad, "p:RgltryRptg/p:Dtls/p:Inf"))
    assert text(abroad, "p:Amt/p:InstdAmt") == ["14000.00"]


def _valid(document: etree._ElementTree) -> None:
    path = shared_fixture("iso20022/pain.001.001.03.xsd")
    schema = etree.XMLSchema(etree.parse(str(path)))
    assert schema.validate(document), schema.error_log


def test_the_companys_reporting_threshold_decides_which_payments_need_a_purpose(
    cli: Cli, tmp_path: Path
) -> None:
    cli("company", "add", "--org-no", ORG, "--name", "Fjordfisk AS", "--account", ACCOUNT)
    (tmp_path / "suppliers.csv").write_text(SUPPLIERS, encoding="utf-8")
    (tmp_path / "items.csv").write_text(ITEMS, encoding="utf-8")
    cli("import", "suppliers", "suppliers.csv", "--company", ORG)
    cli("import", "open-items", "items.csv", "--company", ORG)
    cli("rates", "set", "USD", "10.7143", "--date", "2026-11-01")
    cli("proposals", "refresh", "--company", ORG)
    assert "missing_purpose" in _payments(cli)["2003"]["reasons"]

    said = cli("company", "set", "--org-no", ORG, "--reporting-threshold", "200 000")
    assert "purpose of payments abroad above NOK 200,000.00" in said
    assert _payments(cli)["2003"]["flag"] == "blue"
    cli("company", "set", "--org-no", ORG, "--reporting-threshold", "100000")
    assert "missing_purpose" in _payments(cli)["2003"]["reasons"]
    refused = cli("company", "set", "--org-no", ORG, "--reporting-threshold", "lots", ok=False)
    assert "reporting_threshold" in refused and "Traceback" not in refused
