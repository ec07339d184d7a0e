"""A red payment refused at signing, through the real command line: the refusal says what to fix
in the reasons' own words, names and abbreviations keeping their case."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from typer.testing import CliRunner

from paybot.cli import context
from paybot.container import reset as reset_container
from paybot.core.payments import REASON_TEXTS, Reason
from paybot.services.secrets import SecretBox
from tests.cli.test_payments_abroad_cli import Cli  # runs `paybot`, with a signer's phone

ORG = "974760673"
SUPPLIERS = "\n".join(
    [
        "name;org_no;account;street;building_no;post_code;town;country;bic",
        "Acme Tools Inc;;000123456789;Main Street;500;10001;New York;US;",  # no BIC
        "",
    ]
)
ITEMS = "\n".join(
    [
        "voucher_no;invoice_no;supplier_name;supplier_org_no;account;amount;currency;"
        "invoice_date;due_date;reference_type;reference",
        "2003;INV-88;Acme Tools Inc;;000123456789;14 000,00;USD;2026-11-03;2026-12-01;"
        "invoice;INV-88",
        "",
    ]
)


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Cli]:
    monkeypatch.setenv("PAYBOT_DATABASE_URL", database_url)
    monkeypatch.setenv("PAYBOT_SECRET_KEY", SecretBox.new_key())
    monkeypatch.chdir(tmp_path)
    reset_container()
    runner = Cli(CliRunner())
    monkeypatch.setattr(context, "now", lambda: runner.now)
    yield runner
    reset_container()


def test_signing_a_payment_without_bic_and_purpose_is_refused_in_the_reasons_words(
    cli: Cli, tmp_path: Path
) -> None:
    cli("company", "add", "--org-no", ORG, "--name", "Fjordfisk AS", "--account", "15032080119")
    cli(
        "users", "add", "--company", ORG, "--slack-user", "U1", "--name", "Kari",
        "--role", "approver", "--role", "signer",
    )  # fmt: skip
    (tmp_path / "suppliers.csv").write_text(SUPPLIERS, encoding="utf-8")
    (tmp_path / "items.csv").write_text(ITEMS, encoding="utf-8")
    cli("import", "suppliers", "suppliers.csv", "--company", ORG)
    cli("import", "open-items", "items.csv", "--company", ORG)
    cli("rates", "set", "USD", "10.7143", "--date", "2026-11-01")  # NOK 150,000
    cli("proposals", "refresh", "--company", ORG)
    enrollment = cli("otp", "enroll", "--company", ORG, "--slack-user", "U1")
    cli.secret = pyotp.parse_uri(enrollment.split("add this link: ")[1].split()[0]).secret
    cli("otp", "confirm", "--slack-user", "U1", "--code", cli.code())

    refused = cli("payments", "sign", "1", "--as", "U1", "--code", cli.code(), ok=False)

    said = " ".join(refused.split())  # the console may wrap a long line
    bic, purpose = REASON_TEXTS[Reason.MISSING_BIC], REASON_TEXTS[Reason.MISSING_PURPOSE]
    assert f"cannot be signed until it is fixed: p{bic[1:]}; p{purpose[1:]}." in said
    assert "not an IBAN" in said and "BIC (SWIFT code)" in said
    assert "NOK 100,000" in said and "Norges Bank's list" in said
